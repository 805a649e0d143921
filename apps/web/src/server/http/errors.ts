/**
 * One error hierarchy, mapped to the API's error shape
 * `{"error": {"code", "message", "requestId"}}` by the error handler.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, code = 'invalid_request', extra?: Record<string, unknown>) =>
  new AppError(400, code, message, extra);
export const unauthorized = (message = 'Sign in to continue.') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'You are not allowed to do that.', code = 'forbidden') => new AppError(403, code, message);
export const notFound = (what = 'resource') => new AppError(404, 'not_found', `The ${what} was not found.`);
export const conflict = (message: string, extra?: Record<string, unknown>, code = 'conflict') =>
  new AppError(409, code, message, extra);
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) => new AppError(415, 'unsupported_media_type', message);
export const tooManyRequests = (retryAfterSeconds: number, message = 'Too many attempts. Try again later.') =>
  new AppError(429, 'rate_limited', message, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
export const serviceUnavailable = (message: string) => new AppError(503, 'service_unavailable', message);
