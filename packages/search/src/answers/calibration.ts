/**
 * Selection settings per embedding model. The floor is a cosine-plus-coverage
 * score, so it only means something for the model it was measured with:
 * calibrated on the labelled set in bench/retrieval (its questions, and
 * questions nothing in it answers) and on CISI by `npm run bench:answers --
 * --calibrate` (docs/benchmarks.md, "Answers"). Other models rank sentences
 * by similarity too, but decide "not covered" by term coverage, as before.
 */
import { isMiniLmModel, type EmbeddingSpaceIdentity } from '@quarry/ai';
import type { SelectionOptions } from './selection.js';

export const uncalibratedSelection: SelectionOptions = {
  maxSentences: 3,
  coverageWeight: 0.3,
  rankPenalty: 0.02,
  keepRatio: 0.9,
  lambda: 0.7,
  duplicate: 0.9,
  floor: 0,
  minCoverage: 0.34,
  calibrated: false,
};

/**
 * From the grid of `--calibrate` (coverage weight 0–0.5, keep ratio 0.7–1, floor 0.3–0.6), scored by the mean over the
 * own set and CISI of (unanswerable declined − answerable declined) + cited-relevant × answered-with-a-relevant-citation:
 * floor 0.5 and 0.55 tie at the top; 0.5 is kept because 0.55 declines twice as many answerable questions (10% vs 5%).
 */
export const miniLmSelection: SelectionOptions = { ...uncalibratedSelection, floor: 0.5, calibrated: true };

export function selectionForSpace(space: EmbeddingSpaceIdentity | undefined): SelectionOptions {
  return space?.provider === 'local' && isMiniLmModel(space.model) ? miniLmSelection : uncalibratedSelection;
}
