import { describe, expect, it } from 'vitest';
import { createSseParser } from './stream.js';

describe('SSE parser', () => {
  it('assembles events split across chunks, with CRLF, comments and multi-line data', () => {
    const parse = createSseParser();
    const chunks = [
      'event: citations\r\ndata: [{"n":1}',
      ']\r\n\r\n: keep-alive\n\nevent: delta\ndata: {"text":"Gra',
      'nite"}\n\n',
      'data: line one\ndata: line two\n\n',
    ];
    const events = chunks.flatMap((c) => parse(c));
    expect(events).toEqual([
      { event: 'citations', data: '[{"n":1}]' },
      { event: 'delta', data: '{"text":"Granite"}' },
      { event: 'message', data: 'line one\nline two' },
    ]);
  });

  it('does not mistake a CRLF split across chunks for a blank line', () => {
    const parse = createSseParser();
    expect(parse('event: delta\r')).toEqual([]);
    expect(parse('\ndata: {"text":"a"}\r')).toEqual([]);
    expect(parse('\n\r\n')).toEqual([{ event: 'delta', data: '{"text":"a"}' }]);
  });

  it('holds back an event until its blank line arrives', () => {
    const parse = createSseParser();
    expect(parse('event: done\ndata: {}\n')).toEqual([]);
    expect(parse('\n')).toEqual([{ event: 'done', data: '{}' }]);
  });
});
