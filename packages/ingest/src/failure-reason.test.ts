import { describe, expect, it } from 'vitest';
import { failureReason } from './failure-reason.js';

/** Shaped like drizzle-orm's DrizzleQueryError: the message lists every bound value. */
function queryError(cause: Error): Error {
  const error = new Error(`Failed query: insert into passages (text) values ($1)\nparams: the secret passage text`, { cause });
  return Object.assign(error, { query: 'insert into passages (text) values ($1)', params: ['the secret passage text'] });
}

describe('failureReason', () => {
  it('describes a query error by its cause, never by its parameters', () => {
    const reason = failureReason(queryError(new Error('relation "passages" does not exist')));
    expect(reason).toBe('Processing failed: a database error (relation "…" does not exist).');
    expect(reason).not.toContain('secret');
    expect(reason).not.toContain('params');
  });

  it('cuts a params tail from a re-wrapped message and masks quoted values', () => {
    const reason = failureReason(new Error(`invalid input syntax for type uuid: "abc-secret"\nparams: x,y`));
    expect(reason).toBe('Processing failed: invalid input syntax for type uuid: "…".');
  });

  it('keeps a plain message and bounds its length', () => {
    expect(failureReason(new Error('worker stopped'))).toBe('Processing failed: worker stopped.');
    expect(failureReason(new Error('x'.repeat(1000))).length).toBeLessThan(330);
  });
});
