/**
 * Structured JSON logs (pino). Redaction is a second line of defence: code
 * never logs secrets, cookies or document text, and the paths below are masked
 * even if someone tries.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const redactedPaths = [
  'password',
  '*.password',
  'newPassword',
  'currentPassword',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'authorization',
  'cookie',
  'headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'text',
  '*.text',
];

export function createLogger(options: { level: string; pretty: boolean; destination?: pino.DestinationStream }): Logger {
  const base: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'quarry' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(base);
}
