/**
 * Links to a passage inside its document: search hits, Ask citations and the
 * reader's own anchors all go through `passageHref`, so they agree on the URL.
 *
 * `/w/:ws/documents/:id?passage=<passageId>&page=<n>&q=<query>#p-<passageId>`
 * — the reader opens the document around that passage, scrolls it into view and
 * highlights it; `q` (optional) drives "next / previous match".
 */

/** What the link that opened a passage knew about it (search snippet or citation quote). */
export interface PassageLinkState {
  passageText?: string;
  headingPath?: string[] | null;
}

/** The element id of a passage in the reader (`#p-<passageId>`). */
export const passageAnchor = (passageId: string) => `p-${passageId}`;

export function passageHref(
  ws: string,
  hit: { documentId: string; passageId: string; page: number | null },
  query?: string,
) {
  const params = new URLSearchParams({ passage: hit.passageId });
  if (hit.page !== null && hit.page !== undefined) params.set('page', String(hit.page));
  if (query?.trim()) params.set('q', query.trim());
  return `/w/${ws}/documents/${hit.documentId}?${params.toString()}#${passageAnchor(hit.passageId)}`;
}
