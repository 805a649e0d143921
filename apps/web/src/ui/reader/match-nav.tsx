/** "Match 3 of 17" with previous / next: the passages of this document that hold the search's words. */
import type { DocumentMatches } from '../api/contract.js';

export type Match = DocumentMatches['matches'][number];

/** The match at or after (direction 1) / before (-1) the current passage's position. */
export function stepMatch(matches: Match[], currentOrdinal: number | null, direction: 1 | -1): Match | undefined {
  if (matches.length === 0) return undefined;
  if (currentOrdinal === null) return direction === 1 ? matches[0] : matches[matches.length - 1];
  if (direction === 1) return matches.find((m) => m.ordinal > currentOrdinal) ?? matches[0];
  return [...matches].reverse().find((m) => m.ordinal < currentOrdinal) ?? matches[matches.length - 1];
}

export function MatchNav({
  query,
  matches,
  currentOrdinal,
  onGo,
}: {
  query: string;
  matches: Match[];
  currentOrdinal: number | null;
  onGo: (match: Match) => void;
}) {
  const index = matches.findIndex((m) => m.ordinal === currentOrdinal);
  return (
    <div className="match-nav" role="group" aria-label="Matches in this document">
      <span className="small" aria-live="polite" data-testid="match-count">
        {matches.length === 0
          ? `No passage here holds “${query}”.`
          : index >= 0
            ? `Match ${index + 1} of ${matches.length} for “${query}”`
            : `${matches.length} passage${matches.length === 1 ? '' : 's'} match “${query}”`}
      </span>
      <button
        type="button"
        disabled={matches.length === 0}
        onClick={() => onGo(stepMatch(matches, currentOrdinal, -1)!)}
      >
        Previous match
      </button>
      <button
        type="button"
        disabled={matches.length === 0}
        onClick={() => onGo(stepMatch(matches, currentOrdinal, 1)!)}
      >
        Next match
      </button>
    </div>
  );
}
