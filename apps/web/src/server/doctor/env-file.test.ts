import { describe, expect, it } from 'vitest';
import { nonEmpty, parseEnvFile } from './env-file.js';

describe('parseEnvFile', () => {
  it('reads assignments, quotes, export and comments like compose', () => {
    const { values, invalidLines } = parseEnvFile(
      [
        '# comment',
        '',
        'A=plain',
        'export B=exported',
        "C='single #not a comment'",
        'D="double \\"quoted\\"\\nnext"',
        'E=value # inline comment',
        'F=',
        'G = spaced ',
        'H=a=b=c',
      ].join('\n'),
    );
    expect(invalidLines).toEqual([]);
    expect(Object.fromEntries(values)).toEqual({
      A: 'plain',
      B: 'exported',
      C: 'single #not a comment',
      D: 'double "quoted"\nnext',
      E: 'value',
      F: '',
      G: 'spaced',
      H: 'a=b=c',
    });
  });

  it('reports lines that are not assignments, with CRLF and a BOM', () => {
    const { values, invalidLines } = parseEnvFile('\uFEFFA=1\r\nthis is not an assignment\r\n2BAD=x\r\n');
    expect(values.get('A')).toBe('1');
    expect(invalidLines).toEqual([2, 3]);
  });

  it('treats empty as unset', () => {
    const { values } = parseEnvFile('A=\nB=x');
    expect(nonEmpty(values, 'A')).toBeUndefined();
    expect(nonEmpty(values, 'B')).toBe('x');
    expect(nonEmpty(values, 'C')).toBeUndefined();
  });
});
