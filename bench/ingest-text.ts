/** Deterministic English-like text for the ingest benchmarks: a fixed vocabulary, a linear congruential generator. */
const vocabulary = (
  'the of and to in is that for it as with was on be by this are from at or an which have not they but has its were all ' +
  'document passage search index query answer workspace storage embedding vector model server database file upload ' +
  'invoice budget report policy meeting customer contract project review security access team plan release quarter'
).split(' ');

export function benchText(bytes: number, seed: number): string {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const sentences: string[] = [];
    for (let s = 0; s < 4 + Math.floor(rnd() * 4); s++) {
      const words = Array.from({ length: 8 + Math.floor(rnd() * 14) }, () => vocabulary[Math.floor(rnd() * vocabulary.length)]!);
      words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
      sentences.push(`${words.join(' ')}.`);
    }
    const p = sentences.join(' ');
    parts.push(p);
    size += p.length + 2;
  }
  return parts.join('\n\n');
}
