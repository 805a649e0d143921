/**
 * What the CommonMark/GFM parser reads right that the line-based extractor
 * (markdown-plain.ts) read wrong, and the bounds past which the linear one
 * takes over because micromark would not finish in bounded time or stack.
 */
import { describe, expect, it } from 'vitest';
import { extractMarkdown, MAX_CONTAINER_MARKERS, MAX_DELIMITERS_PER_PARAGRAPH, MAX_NESTING, MAX_PARSED_CHARS, parseable } from './markdown.js';

const md = (s: string) => extractMarkdown(Buffer.from(s, 'utf8'));

describe('Markdown read as CommonMark + GFM', () => {
  it('a setext heading after a paragraph line, and one made of several lines', () => {
    // The line-based reader only saw a setext heading at the start of a paragraph, on one line.
    expect(md('intro\n\nTitle\nspans two\n===\n\nbody\nUnder\n---\n').blocks).toEqual([
      { kind: 'paragraph', text: 'intro' },
      { kind: 'heading', level: 1, text: 'Title\nspans two' },
      { kind: 'heading', level: 2, text: 'body\nUnder' },
    ]);
  });

  it('a reference-style link, a collapsed one and a shortcut one become their text; the definition goes', () => {
    const out = md('Read [the guide][g], [Guide][] and [guide].\n\n[g]: http://example.test/guide "Title"\n[guide]: http://example.test/\n');
    expect(out.blocks).toEqual([{ kind: 'paragraph', text: 'Read the guide, Guide and guide.' }]);
  });

  it('a GFM table with inline code and an escaped pipe in its cells', () => {
    const out = md('| name | pattern |\n| :--- | ---: |\n| `or` | a \\| b |\n| **x** | `c` |\n');
    expect(out.blocks).toEqual([{ kind: 'table', text: 'name | pattern\nor | a | b\nx | c' }]);
  });

  it('a nested list stays one list block, its inner items indented under their parent, across blank lines', () => {
    // The line-based reader ended the list at the blank line and read the rest of the item as a paragraph.
    const out = md('- one\n\n  still one\n  3. a\n  4. b\n\n- two\n\n1. first\n   - [x] done\n   - [ ] open\n');
    expect(out.blocks).toEqual([
      { kind: 'list', text: '- one\n  still one\n  3. a\n  4. b\n- two' },
      { kind: 'list', text: '1. first\n   - [x] done\n   - [ ] open' },
    ]);
  });

  it('a fenced code block keeps a # line inside it, and a ``` line with an info string (which cannot close a fence)', () => {
    const out = md('```\n# not a heading\n```js\nstill code\n```\n\nafter\n');
    expect(out.blocks).toEqual([
      { kind: 'code', text: '# not a heading\n```js\nstill code' },
      { kind: 'paragraph', text: 'after' },
    ]);
  });

  it('YAML and TOML front matter are dropped', () => {
    expect(md('---\ntitle: x\nlist:\n  - a\n---\n# Doc\n').blocks).toEqual([{ kind: 'heading', level: 1, text: 'Doc' }]);
    expect(md('+++\ntitle = "x"\n+++\n\ntext\n').blocks).toEqual([{ kind: 'paragraph', text: 'text' }]);
  });

  it('HTML comments are dropped, block and inline; tags go and their text stays', () => {
    const out = md('<!--\nhidden\n\nstill hidden\n-->\n\nvisible <!-- gone --> text\n\n<div>\n<b>bold</b> words\n</div>\n');
    expect(out.blocks).toEqual([
      { kind: 'paragraph', text: 'visible  text' },
      { kind: 'paragraph', text: 'bold words' },
    ]);
  });

  it('autolinks, <…> and bare, keep their address as text', () => {
    const out = md('Mail <ops@example.test>, see <http://example.test/a_b_c> or www.example.test/x_y_z today.\n');
    expect(out.blocks).toEqual([{ kind: 'paragraph', text: 'Mail ops@example.test, see http://example.test/a_b_c or www.example.test/x_y_z today.' }]);
  });

  it('block quotes give their paragraphs, footnotes theirs; thematic breaks and hard breaks', () => {
    const out = md('# Top\n\n> quoted\n> > deeper\n\n***\n\nline one\\\nline two[^n]\n\n[^n]: the note\n');
    expect(out.title).toBe('Top');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Top' },
      { kind: 'paragraph', text: 'quoted' },
      { kind: 'paragraph', text: 'deeper' },
      { kind: 'paragraph', text: 'line one\nline two' },
      { kind: 'paragraph', text: 'the note' },
    ]);
  });
});

describe('past the bounds micromark takes in bounded time, the linear extractor reads the document', () => {
  it('the size bound', () => {
    const under = '# T\n\n' + 'word '.repeat(Math.floor((MAX_PARSED_CHARS - 10) / 5));
    expect(parseable(under)).toBe(true);
    expect(parseable(under + 'x'.repeat(MAX_PARSED_CHARS))).toBe(false);
  });

  it('the nesting bound: > and list markers, and indentation before a marker', () => {
    expect(parseable('>'.repeat(MAX_NESTING) + ' x')).toBe(true);
    expect(parseable('>'.repeat(MAX_NESTING + 1) + ' x')).toBe(false);
    expect(parseable('- '.repeat(MAX_NESTING + 1) + 'x')).toBe(false);
    expect(parseable('1. > '.repeat(MAX_NESTING / 2 + 1) + 'x')).toBe(false);
    expect(parseable(' '.repeat(2 * MAX_NESTING) + '- x')).toBe(false);
    // Indentation without a marker opens nothing (an indented code line).
    expect(parseable(' '.repeat(2 * MAX_NESTING) + 'x')).toBe(true);
  });

  it('the container bound counts the markers of the whole document', () => {
    expect(parseable('- x\n'.repeat(MAX_CONTAINER_MARKERS))).toBe(true);
    expect(parseable('- x\n'.repeat(MAX_CONTAINER_MARKERS + 1))).toBe(false);
    expect(parseable('> > a\n\n'.repeat(MAX_CONTAINER_MARKERS / 2 + 1))).toBe(false);
    // Plain lines, however many, open no container.
    expect(parseable('x\n'.repeat(MAX_CONTAINER_MARKERS * 2))).toBe(true);
  });

  it('the delimiter bound counts per paragraph: a blank line starts again', () => {
    const para = '**b** '.repeat(MAX_DELIMITERS_PER_PARAGRAPH / 4);
    expect(parseable(para)).toBe(true);
    expect(parseable(para + '*')).toBe(false);
    expect(parseable(para + '\n\n' + para)).toBe(true);
    expect(parseable(para + '\n' + para)).toBe(false);
  });

  it('what falls back is still read: > nested too deep, and too many delimiters in a paragraph', () => {
    // The linear extractor keeps the > as text (it has no block quotes); the parser would give only 'x'.
    expect(md('>'.repeat(MAX_NESTING + 1) + ' x').blocks).toEqual([{ kind: 'paragraph', text: '>'.repeat(MAX_NESTING + 1) + ' x' }]);
    expect(md('>'.repeat(MAX_NESTING) + ' x').blocks).toEqual([{ kind: 'paragraph', text: 'x' }]);
    const many = '**b** '.repeat(MAX_DELIMITERS_PER_PARAGRAPH);
    expect(md('# Many\n\n' + many)).toEqual({ title: 'Many', blocks: [{ kind: 'heading', level: 1, text: 'Many' }, { kind: 'paragraph', text: 'b '.repeat(MAX_DELIMITERS_PER_PARAGRAPH).trim() }] });
  });
});
