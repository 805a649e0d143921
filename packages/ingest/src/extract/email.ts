/**
 * A plain RFC 822 / MIME e-mail (.eml), parsed by postal-mime: the subject as
 * title and heading, the usual headers (From, To, Cc, Date) as a paragraph,
 * the body (the plain-text part, or the HTML part through the HTML
 * extractor), then the names of its attachments. Each attachment of a type
 * Quarry reads is handed back (`attachments`) and becomes a document of its
 * own (pipeline.ts), with its own pages, status and failure reason; an
 * attached e-mail, a type Quarry does not read, and those past
 * `maxAttachments` are listed in the mail with the reason.
 */
import PostalMime, { type Address, type Attachment } from 'postal-mime';
import { sniffBuffer } from '../sniff.js';
import { extractHtml } from './html.js';
import { paragraphs } from './text.js';
import { ExtractionError, type Block, type Extracted, type ExtractedAttachment, type ExtractLimits } from './types.js';

const who = (list: Address[] | Address | undefined): string =>
  (Array.isArray(list) ? list : list ? [list] : [])
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((a) => (a.name && a.address ? `${a.name} <${a.address}>` : a.address || a.name))
    .filter(Boolean)
    .join(', ');

const bytesOf = (content: Attachment['content']): Uint8Array =>
  typeof content === 'string' ? Buffer.from(content, 'utf8') : content instanceof ArrayBuffer ? new Uint8Array(content) : content;

export async function extractEmail(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  let email: Awaited<ReturnType<typeof PostalMime.parse>>;
  try {
    email = await PostalMime.parse(bytes, { attachmentEncoding: 'arraybuffer', maxNestingDepth: 20, maxHeadersSize: 1024 * 1024 });
  } catch (error) {
    throw new ExtractionError(`the e-mail cannot be read (${(error as Error).message.slice(0, 120)})`);
  }
  const subject = email.subject?.replace(/\s+/g, ' ').trim();
  const blocks: Block[] = [];
  if (subject) blocks.push({ kind: 'heading', level: 1, text: subject });
  const headers = [
    ['From', who(email.from)],
    ['To', who(email.to)],
    ['Cc', who(email.cc)],
    ['Date', email.date ?? ''],
  ].filter(([, v]) => v);
  if (headers.length > 0) blocks.push({ kind: 'paragraph', text: headers.map(([k, v]) => `${k}: ${v}`).join('\n') });
  if (email.text?.trim()) blocks.push(...paragraphs(email.text.replace(/\r\n?/g, '\n')));
  else if (email.html) blocks.push(...extractHtml(email.html).blocks);

  const refused: string[] = [];
  const attachments: ExtractedAttachment[] = [];
  const files = email.attachments.filter((a) => !(a.related && a.mimeType.startsWith('image/')));
  const seen = new Set<string>();
  for (const [i, attachment] of files.entries()) {
    const name = attachmentName(attachment.filename, i, seen);
    if (i >= limits.maxAttachments) {
      refused.push(`${files.length - limits.maxAttachments} more attachments (at most ${limits.maxAttachments} are read)`);
      break;
    }
    const content = bytesOf(attachment.content);
    if (content.byteLength === 0) continue;
    const sniffed = sniffBuffer(Buffer.from(content.buffer, content.byteOffset, content.byteLength), name);
    if (!sniffed.ok) {
      refused.push(`${name}: ${sniffed.reason}`);
      continue;
    }
    if (sniffed.mime === 'message/rfc822') {
      refused.push(`${name}: an e-mail attached to an e-mail is not read`);
      continue;
    }
    attachments.push({ filename: name, mime: sniffed.mime, bytes: content });
  }
  if (attachments.length > 0) {
    blocks.push({ kind: 'list', text: ['Attachments, each indexed as a document of its own:', ...attachments.map((a) => `- ${a.filename}`)].join('\n') });
  }
  if (refused.length > 0) blocks.push({ kind: 'list', text: ['Attachments not read:', ...refused.map((r) => `- ${r}`)].join('\n') });
  return { blocks, title: subject || undefined, ...(attachments.length > 0 ? { attachments } : {}) };
}

/**
 * The attachment's own file name as a document would keep it: its last path segment, without control or
 * format characters; `attachment N` when it has none. A name given twice gets ` (2)`, ` (3)` … before its
 * extension, so each attachment's document says which one it is.
 */
function attachmentName(raw: string | null | undefined, index: number, seen: Set<string>): string {
  const base =
    (raw ?? '')
      .normalize('NFC')
      .split(/[/\\]/)
      .pop()!
      .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
      .replace(/\s+/g, ' ')
      .replace(/^[.\s]+/, '')
      .trim()
      .slice(0, 200) || `attachment ${index + 1}`;
  let name = base;
  for (let n = 2; seen.has(name.toLowerCase()) && n < 10_000; n++) {
    const dot = base.lastIndexOf('.');
    name = dot > 0 ? `${base.slice(0, dot)} (${n})${base.slice(dot)}` : `${base} (${n})`;
  }
  seen.add(name.toLowerCase());
  return name;
}
