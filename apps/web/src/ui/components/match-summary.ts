/** The line above search results: how many passages and documents match. */

const plural = (n: number, word: string, more = false) => `${n.toLocaleString('en')}${more ? '+' : ''} ${word}${n === 1 && !more ? '' : 's'}`;

/** "37 passages in 12 documents": the server's count of every match, or (from an older server) what is loaded. */
export function matchSummary(total: { passages: number; documents: number; capped: boolean } | undefined, loaded: number, loadedDocuments: number, more: boolean): string {
  if (total) return `${plural(total.passages, 'passage', total.capped)} in ${plural(total.documents, 'document', total.capped)}`;
  return `${plural(loaded, 'passage', more)} in ${plural(loadedDocuments, 'document', more)}`;
}
