/**
 * Words that carry a question's meaning, crudely stemmed: what term coverage
 * counts (and what tells prose from table cells, by its share of stop words).
 */
export const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my of on or our ' +
    'should so than that the their them then there these they this to was we were what when where which who whom why will with ' +
    'would you your about after any all also am before being between both each few further here more most no nor not only other ' +
    'out over own same she he her his him some such too under until up very via tell explain describe please know'
  ).split(' '),
);

export function words(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Lower-case word stems: enough to match "indexes"/"indexing" with "index". */
export function terms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w) && (w.length > 1 || /\d/.test(w)))
    .map(stem);
}

function stem(word: string): string {
  if (word.length <= 4) return word;
  return word.replace(/(ations?|ingly|ings?|edly|ies|ied|ed|es|s|ly)$/, (m) => (m === 'ies' || m === 'ied' ? 'y' : ''));
}
