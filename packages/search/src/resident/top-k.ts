/**
 * The `k` best of `count` scored items, best first, ties by index: a bounded
 * min-heap, so a query over 10,000 vectors does not sort 10,000 entries to
 * keep 100. With `itemAt`, the items are `itemAt(0 … count-1)` (a sparse set
 * of indexes, in any order) and ties still go to the lower index.
 */
export function topK(
  count: number,
  scoreOf: (index: number) => number,
  k: number,
  itemAt: (position: number) => number = (position) => position,
): Array<{ index: number; score: number }> {
  const size = Math.min(Math.max(0, Math.trunc(k)), count);
  if (size === 0) return [];
  const heapIdx = new Int32Array(size);
  const heapScore = new Float64Array(size);
  let filled = 0;
  // "a is worse than b": lower score, or equal score and larger index.
  const worse = (sa: number, ia: number, sb: number, ib: number) => sa < sb || (sa === sb && ia > ib);
  const siftDown = (from: number) => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < filled && worse(heapScore[l]!, heapIdx[l]!, heapScore[m]!, heapIdx[m]!)) m = l;
      if (r < filled && worse(heapScore[r]!, heapIdx[r]!, heapScore[m]!, heapIdx[m]!)) m = r;
      if (m === i) return;
      [heapScore[i], heapScore[m]] = [heapScore[m]!, heapScore[i]!];
      [heapIdx[i], heapIdx[m]] = [heapIdx[m]!, heapIdx[i]!];
      i = m;
    }
  };
  for (let position = 0; position < count; position++) {
    const index = itemAt(position);
    const score = scoreOf(index);
    if (Number.isNaN(score)) continue;
    if (filled < size) {
      let i = filled++;
      heapScore[i] = score;
      heapIdx[i] = index;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(heapScore[i]!, heapIdx[i]!, heapScore[parent]!, heapIdx[parent]!)) break;
        [heapScore[i], heapScore[parent]] = [heapScore[parent]!, heapScore[i]!];
        [heapIdx[i], heapIdx[parent]] = [heapIdx[parent]!, heapIdx[i]!];
        i = parent;
      }
    } else if (worse(heapScore[0]!, heapIdx[0]!, score, index)) {
      heapScore[0] = score;
      heapIdx[0] = index;
      siftDown(0);
    }
  }
  const out = Array.from({ length: filled }, (_, i) => ({ index: heapIdx[i]!, score: heapScore[i]! }));
  out.sort((x, y) => y.score - x.score || x.index - y.index);
  return out;
}
