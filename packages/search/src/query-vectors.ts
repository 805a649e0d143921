/**
 * Recently embedded queries, per embedding space. Paging through results,
 * switching mode and Ask's retrieval repeat a query; embedding it again costs
 * 10–30 ms of model time each time. Bounded by count (384-d vectors: ~3 KB
 * each); a query embedded by another space's model is a different entry.
 */
import type { Embedder } from '@quarry/ai';

export interface QueryVectorCache {
  embed(spaceKey: string, embedder: Embedder, query: string): Promise<number[] | undefined>;
}

export function createQueryVectorCache(maxEntries = 512): QueryVectorCache {
  // A Map keeps insertion order: re-inserting on use makes it an LRU.
  const entries = new Map<string, Promise<number[] | undefined>>();
  return {
    embed(spaceKey, embedder, query) {
      const key = `${spaceKey}\u0000${query}`;
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const pending = embedder.embed([query], 'query').then((vectors) => vectors[0]);
      if (maxEntries <= 0) return pending;
      entries.set(key, pending);
      // A failed embedding is not remembered: the next search tries again.
      pending.catch(() => entries.delete(key));
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return pending;
    },
  };
}
