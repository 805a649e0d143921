/**
 * Snippets are built by PostgreSQL's `ts_headline` with private-use sentinel
 * characters as match markers (stripped from the passage text first), then
 * HTML-escaped here, and only then are the sentinels turned into `<mark>`.
 * `ts_headline` output is never trusted as HTML.
 */

export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

/**
 * `ts_headline` drops anything its parser takes for a tag or an entity
 * (`<script>` would vanish rather than come back escaped), so `<`, `>` and `&`
 * are swapped for private-use stand-ins before it runs and restored after.
 */
export const HEADLINE_TRANSLATE_FROM = `<>&${MARK_START}${MARK_END}`;
export const HEADLINE_TRANSLATE_TO = '\uE002\uE003\uE004';
const restore: Record<string, string> = { '\uE002': '<', '\uE003': '>', '\uE004': '&' };

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]!);
}

/** Escapes `headline` and turns balanced sentinel pairs into `<mark>…</mark>`; stray sentinels are dropped. */
export function renderSnippet(headline: string): string {
  headline = headline.replace(/[\uE002-\uE004]/g, (c) => restore[c]!);
  let out = '';
  let open = false;
  let plain = '';
  const flush = () => {
    out += escapeHtml(plain);
    plain = '';
  };
  for (const ch of headline) {
    if (ch === MARK_START) {
      if (open) continue;
      flush();
      out += '<mark>';
      open = true;
    } else if (ch === MARK_END) {
      if (!open) continue;
      flush();
      out += '</mark>';
      open = false;
    } else {
      plain += ch;
    }
  }
  flush();
  if (open) out += '</mark>';
  return out.replace(/<mark><\/mark>/g, '').replace(/\s+/g, ' ').trim();
}

/** A plain-text excerpt (for when no headline is available), cut at a word boundary. */
export function excerpt(text: string, maxChars = 240): string {
  const clean = text.replace(/[\uE000\uE001]/g, '').replace(/\s+/g, ' ').trim();
  if (clean.length <= maxChars) return clean;
  const cut = clean.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return `${cut.slice(0, space > maxChars * 0.6 ? space : maxChars)}…`;
}

/** ts_headline options: two short fragments around the matches. */
export const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=28, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
