import { describe, expect, it } from 'vitest';
import { parseQuerySyntax } from './query-syntax.js';

describe('search syntax', () => {
  it('treats ordinary words as words: or, and, not, OR', () => {
    expect(parseQuerySyntax('cats or dogs and NOT birds OR fish')).toEqual({ bag: 'cats or dogs and NOT birds OR fish', phrases: [], excluded: [] });
  });

  it('keeps phrases in balanced double quotes, and their words in the bag', () => {
    expect(parseQuerySyntax('history of "decimal classification" editions')).toEqual({
      bag: 'history of editions decimal classification',
      phrases: ['decimal classification'],
      excluded: [],
    });
  });

  it('reads an unbalanced quote as plain text', () => {
    expect(parseQuerySyntax('a "b c')).toEqual({ bag: 'a b c', phrases: [], excluded: [] });
    expect(parseQuerySyntax('"x" y "z')).toEqual({ bag: 'y z x', phrases: ['x'], excluded: [] });
  });

  it('excludes only " -word" after whitespace, with something left to find', () => {
    expect(parseQuerySyntax('indexing -manual')).toEqual({ bag: 'indexing', phrases: [], excluded: ['manual'] });
    expect(parseQuerySyntax('-manual indexing')).toEqual({ bag: '-manual indexing', phrases: [], excluded: [] });
    expect(parseQuerySyntax('-only')).toEqual({ bag: '-only', phrases: [], excluded: [] });
    expect(parseQuerySyntax('state-of-the-art e-mail')).toEqual({ bag: 'state-of-the-art e-mail', phrases: [], excluded: [] });
    expect(parseQuerySyntax('"a phrase" -not')).toEqual({ bag: 'a phrase', phrases: ['a phrase'], excluded: ['not'] });
    expect(parseQuerySyntax('x - y --')).toEqual({ bag: 'x - y --', phrases: [], excluded: [] });
  });

  it('turns control characters (NUL included) into spaces', () => {
    expect(parseQuerySyntax('a\u0000b\tc')).toEqual({ bag: 'a b c', phrases: [], excluded: [] });
  });

  it('stays linear on hostile input', () => {
    const hostile = '"'.repeat(100_000) + ' -'.repeat(100_000) + '('.repeat(100_000);
    const parsed = parseQuerySyntax(hostile);
    expect(parsed.phrases.length).toBeLessThanOrEqual(32);
    expect(parsed.excluded.length).toBeLessThanOrEqual(32);
  });
});
