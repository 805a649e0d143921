import { describe, expect, it } from 'vitest';
import type { Embedder } from '@quarry/ai';
import { createQueryVectorCache } from './query-vectors.js';

function countingEmbedder(fail = false): Embedder & { calls: number } {
  const e = {
    calls: 0,
    space: { provider: 'test', model: 'count', dimensions: 2 },
    async embed(texts: string[]) {
      e.calls++;
      if (fail && e.calls === 1) throw new Error('model busy');
      return texts.map((t) => [t.length, 1]);
    },
  };
  return e;
}

describe('query vector cache', () => {
  it('embeds a repeated query once per space, forgets the oldest beyond its bound, and never keeps a failure', async () => {
    const cache = createQueryVectorCache(2);
    const e = countingEmbedder();
    expect(await cache.embed('s1', e, 'lighthouse')).toEqual([10, 1]);
    expect(await cache.embed('s1', e, 'lighthouse')).toEqual([10, 1]);
    expect(e.calls).toBe(1);
    await cache.embed('s2', e, 'lighthouse');
    expect(e.calls).toBe(2);
    await cache.embed('s1', e, 'fog');
    await cache.embed('s1', e, 'lighthouse'); // evicted by the bound of 2
    expect(e.calls).toBe(4);

    const flaky = countingEmbedder(true);
    await expect(cache.embed('s1', flaky, 'storm')).rejects.toThrow('model busy');
    expect(await cache.embed('s1', flaky, 'storm')).toEqual([5, 1]);
    expect(flaky.calls).toBe(2);
  });

  it('with no room keeps nothing: every query is embedded afresh (what a benchmark of new queries needs)', async () => {
    const cache = createQueryVectorCache(0);
    const e = countingEmbedder();
    expect(await cache.embed('s1', e, 'lighthouse')).toEqual([10, 1]);
    expect(await cache.embed('s1', e, 'lighthouse')).toEqual([10, 1]);
    expect(e.calls).toBe(2);
  });
});
