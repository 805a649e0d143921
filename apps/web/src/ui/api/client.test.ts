import { describe, expect, it } from 'vitest';
import { describeInvalid, toApiError } from './client.js';

describe('validation errors in words', () => {
  it('turns the validator text the server sends into a sentence', () => {
    expect(describeInvalid('q: Too big: expected string to have <=2000 characters')).toBe(
      'The search is too long: at most 2,000 characters.',
    );
    expect(describeInvalid('name: Too small: expected string to have >=1 characters')).toBe(
      'The name must not be empty.',
    );
    expect(describeInvalid('email: Invalid email address')).toBe('The e-mail address is not a valid e-mail address.');
    expect(describeInvalid('limit: Too big: expected number to be <=100')).toBe(
      'The limit field is too large: at most 100.',
    );
    expect(describeInvalid('until: must not be before since')).toBe('The until field must not be before since.');
  });

  it('keeps messages written for people, and names statuses without a body in words', () => {
    const invalid = toApiError(400, {
      error: { code: 'invalid_request', message: 'q: Too big: expected string to have <=2000 characters', field: 'q' },
    });
    expect(invalid.message).not.toMatch(/Too big|expected string/);
    expect(toApiError(409, { error: { code: 'conflict', message: 'That person is already a member.' } }).message).toBe(
      'That person is already a member.',
    );
    expect(toApiError(431, undefined).message).not.toMatch(/431|Request failed/);
    expect(toApiError(502, undefined).message).not.toMatch(/Request failed/);
  });
});
