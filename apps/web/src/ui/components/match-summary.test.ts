import { describe, expect, it } from 'vitest';
import { matchSummary } from './match-summary.js';

describe('matchSummary', () => {
  it("says the server's count of every match, not what one page holds", () => {
    expect(matchSummary({ passages: 37, documents: 12, capped: false }, 10, 6, true)).toBe('37 passages in 12 documents');
    expect(matchSummary({ passages: 1, documents: 1, capped: false }, 1, 1, false)).toBe('1 passage in 1 document');
    expect(matchSummary({ passages: 500, documents: 1234, capped: true }, 10, 4, true)).toBe('500+ passages in 1,234+ documents');
  });

  it('falls back to what is loaded, with + while more pages exist', () => {
    expect(matchSummary(undefined, 10, 4, true)).toBe('10+ passages in 4+ documents');
    expect(matchSummary(undefined, 3, 1, false)).toBe('3 passages in 1 document');
  });
});
