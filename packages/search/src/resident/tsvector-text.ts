/**
 * Reads PostgreSQL's text output of a tsvector (`'lexeme':1,4B 'other':2`)
 * into lexemes and their occurrence counts, so a process can hold a
 * workspace's postings without unnesting every passage in SQL.
 */

/** Calls `visit` once per lexeme with the number of positions it has (0 when stripped). */
export function forEachLexeme(text: string, visit: (lexeme: string, occurrences: number) => void): void {
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    if (i >= n) return;
    if (text[i] !== "'") throw new Error(`tsvector text: expected a quoted lexeme at ${i}`);
    i++;
    let lexeme = '';
    let start = i;
    for (;;) {
      if (i >= n) throw new Error('tsvector text: unterminated lexeme');
      const ch = text[i];
      if (ch === '\\') {
        // A backslash escapes the next character.
        lexeme += text.slice(start, i) + (text[i + 1] ?? '');
        i += 2;
        start = i;
      } else if (ch === "'") {
        if (text[i + 1] === "'") {
          lexeme += text.slice(start, i + 1);
          i += 2;
          start = i;
        } else {
          lexeme += text.slice(start, i);
          i++;
          break;
        }
      } else {
        i++;
      }
    }
    let occurrences = 0;
    if (text[i] === ':') {
      i++;
      occurrences = 1;
      while (i < n && text.charCodeAt(i) !== 32) {
        if (text[i] === ',') occurrences++;
        i++;
      }
    }
    visit(lexeme, occurrences);
  }
}
