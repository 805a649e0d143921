/**
 * How often one may ask: per user, and separately per API key (a script's
 * key cannot spend its owner's whole budget unseen, nor the reverse), per
 * minute and per day. Counted by the same database-backed attempt limiter as
 * sign-in (auth/rate-limit.ts, table auth_limits from migration 0004): one
 * atomic upsert per key, so the limit holds across parallel requests and
 * every replica. A question over the limit is answered 429 with Retry-After.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { AttemptLimiter, LimitRule } from '../auth/rate-limit.js';
import type { AppEnv } from './context.js';
import { tooManyRequests } from './errors.js';

export interface AskLimits {
  perMinute: number;
  perDay: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function wait(seconds: number) {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} hours`;
}

/** Counts one question for the caller; throws 429 (with Retry-After) when a limit is spent. */
export async function reserveQuestion(c: Context<AppEnv>, limiter: AttemptLimiter, limits: AskLimits): Promise<void> {
  const user = c.get('user')!;
  const apiKey = c.get('authMethod') === 'api-key' ? c.req.header('x-api-key') : undefined;
  // The key itself never lands in the table: a digest names it (the same key, the same counter).
  const keyId = apiKey !== undefined ? createHash('sha256').update(apiKey).digest('hex').slice(0, 32) : undefined;
  const checks: Array<{ key: string; rule: LimitRule; who: string; span: string }> = [
    { key: `ask-user-minute:${user.id}`, rule: { max: limits.perMinute, windowMs: MINUTE }, who: 'you', span: 'a minute' },
    { key: `ask-user-day:${user.id}`, rule: { max: limits.perDay, windowMs: DAY }, who: 'you', span: 'a day' },
  ];
  if (keyId !== undefined) {
    checks.push(
      { key: `ask-key-minute:${keyId}`, rule: { max: limits.perMinute, windowMs: MINUTE }, who: 'this API key', span: 'a minute' },
      { key: `ask-key-day:${keyId}`, rule: { max: limits.perDay, windowMs: DAY }, who: 'this API key', span: 'a day' },
    );
  }
  for (const check of checks) {
    const slot = await limiter.reserve(check.key, check.rule);
    if (!slot.granted) {
      throw tooManyRequests(
        slot.retryAfterSeconds,
        `${check.who === 'you' ? 'You have' : 'This API key has'} asked ${check.rule.max} questions in ${check.span}, the most allowed. Ask again in ${wait(slot.retryAfterSeconds)}.`,
      );
    }
  }
}
