/**
 * Passages sized for the embedding model: counted in MiniLM's own word pieces,
 * none longer than it embeds (256 with [CLS] and [SEP]), headings kept.
 */
import { describe, expect, it } from 'vitest';
import { createMiniLmTokenCounter, MINILM_MAX_TOKENS } from '@quarry/ai';
import { chunkBlocks } from './chunk.js';
import type { Block } from './extract/types.js';

const counter = createMiniLmTokenCounter();

describe('passages in the model tokenizer', () => {
  it('never exceed what MiniLM embeds, whatever the text', () => {
    const rare = 'Electroencephalography, immunohistochemistry and thermoluminescence dosimetry (10.1016/j.x.2019.04.007).';
    const blocks: Block[] = [
      { kind: 'heading', level: 1, text: 'Methods' },
      { kind: 'paragraph', text: Array.from({ length: 60 }, () => rare).join(' ') },
      { kind: 'paragraph', text: `${'https://example.com/a/very/long/path?with=query&and=more '.repeat(80)}` },
      { kind: 'paragraph', text: '数据库索引和全文检索。'.repeat(200) },
      { kind: 'table', text: Array.from({ length: 50 }, (_, i) => `| row ${i} | ${rare} |`).join('\n') },
    ];
    const passages = chunkBlocks(blocks, { maxTokens: MINILM_MAX_TOKENS - 2, overlap: 0.15, tokenizer: 'minilm' });
    expect(passages.length).toBeGreaterThan(10);
    for (const p of passages) {
      expect(counter.count(p.text)).toBeLessThanOrEqual(MINILM_MAX_TOKENS);
      expect(p.tokenCount).toBe(counter.count(p.text) - 2);
      expect(p.headingPath).toEqual(['Methods']);
    }
    // The approximate counter would have let these through: word pieces outnumber words.
    const approx = chunkBlocks(blocks, { maxTokens: MINILM_MAX_TOKENS - 2, overlap: 0.15 });
    expect(approx.some((p) => counter.count(p.text) > MINILM_MAX_TOKENS)).toBe(true);
  });

  it('keeps a short document whole', () => {
    const passages = chunkBlocks([{ kind: 'paragraph', text: 'A short abstract about library classification.' }], {
      maxTokens: 254,
      overlap: 0.15,
      tokenizer: 'minilm',
    });
    expect(passages).toHaveLength(1);
    expect(passages[0]!.tokenCount).toBe(counter.count('A short abstract about library classification.') - 2);
  });
});

describe('the cached word-piece count', () => {
  it('equals the tokenizer on whole texts', () => {
    const texts = [
      'The lighthouse keeper trims the lamp wick, every evening (before sunset)!',
      "Don't split état-civil naïvely: 数据库索引 and e-mail addresses like a.b@example.com.",
      '   leading and trailing   spaces\n\nand\tnew lines   ',
      'x'.repeat(150) + ' supercalifragilisticexpialidocious',
    ];
    for (const text of texts) {
      const [passage] = chunkBlocks([{ kind: 'paragraph', text }], { maxTokens: 254, overlap: 0, tokenizer: 'minilm' });
      expect(passage!.tokenCount, text).toBe(counter.count(passage!.text) - 2);
    }
  });
});
