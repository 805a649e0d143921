/**
 * A tokenizer-free token estimate for models whose tokenizer is not available
 * locally (OpenAI-compatible servers) and for the hashed embedder: about four
 * characters per token for alphabetic text, one per CJK character, and never
 * fewer than the words and punctuation marks it contains. It errs high for
 * English prose with BPE tokenizers (~1.3 tokens per word).
 */
const WORDS = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

export function approximateTokenCount(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  const pieces = text.match(WORDS)?.length ?? 0;
  return Math.max(pieces, Math.ceil((text.length - cjk) / 4) + cjk);
}
