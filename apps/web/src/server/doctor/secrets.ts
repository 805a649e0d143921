/**
 * "Long and random enough": a secret passes when it is long, its alphabet gives
 * at least 128 bits over its length, and its characters are not repetitive
 * (Shannon entropy per character), so `openssl rand -hex 32` and
 * `openssl rand -base64 32` pass while `changeme…`, `aaaa…` or a word
 * repeated to length fail.
 */
export interface SecretStrength {
  length: number;
  /** log2(alphabet size) × length, alphabet estimated from the character classes present. */
  alphabetBits: number;
  /** Observed Shannon entropy per character. */
  bitsPerChar: number;
  placeholder: boolean;
}

const PLACEHOLDERS = /change.?me|replace.?me|your.?(secret|password|token)|example|password|secret|todo|xxxx|dummy|test1234/i;

export function secretStrength(value: string): SecretStrength {
  const chars = [...value];
  let alphabet = 0;
  if (/[a-z]/.test(value)) alphabet += 26;
  if (/[A-Z]/.test(value)) alphabet += 26;
  if (/[0-9]/.test(value)) alphabet += 10;
  if (/[^A-Za-z0-9]/.test(value)) alphabet += 33;
  // Lower-case hex is the common case for generated secrets: count it as 16, not 36.
  if ((/^[0-9a-f]+$/.test(value) || /^[0-9A-F]+$/.test(value)) && /[a-f]/i.test(value)) alphabet = 16;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    bitsPerChar -= p * Math.log2(p);
  }
  return {
    length: chars.length,
    alphabetBits: alphabet > 0 ? Math.log2(alphabet) * chars.length : 0,
    bitsPerChar,
    placeholder: PLACEHOLDERS.test(value),
  };
}

export interface SecretVerdict {
  ok: boolean;
  reason?: string;
}

export function judgeSecret(value: string, minLength: number): SecretVerdict {
  const s = secretStrength(value);
  if (s.length < minLength) return { ok: false, reason: `${s.length} characters, needs at least ${minLength}` };
  if (s.placeholder) return { ok: false, reason: 'looks like a placeholder, not a generated secret' };
  if (s.alphabetBits < 128) return { ok: false, reason: `about ${Math.floor(s.alphabetBits)} bits, needs 128` };
  if (s.bitsPerChar < 3) return { ok: false, reason: `repetitive (${s.bitsPerChar.toFixed(1)} bits of entropy per character)` };
  return { ok: true };
}
