/**
 * A plain RFC 822 / MIME e-mail (.eml), parsed by postal-mime: the subject as
 * title and heading, the usual headers (From, To, Cc, Date) as a paragraph,
 * the body (the plain-text part, or the HTML part through the HTML
 * extractor), then each attachment Quarry can read as its own section
 * ("Attachment: report.pdf"), extracted as if uploaded alone. Attachments it
 * cannot read, and those past `maxAttachments`, are listed with the reason.
 * Attachments are not separate documents: they are found through the e-mail.
 */
import PostalMime, { type Address, type Attachment } from 'postal-mime';
import { sniffBuffer } from '../sniff.js';
import { extractHtml } from './html.js';
import { paragraphs } from './text.js';
import { ExtractionError, type Block, type Extracted, type ExtractHooks, type ExtractLimits } from './types.js';

type Extract = (bytes: Uint8Array, mime: string, limits: ExtractLimits, hooks: ExtractHooks) => Promise<Extracted>;

const who = (list: Address[] | Address | undefined): string =>
  (Array.isArray(list) ? list : list ? [list] : [])
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((a) => (a.name && a.address ? `${a.name} <${a.address}>` : a.address || a.name))
    .filter(Boolean)
    .join(', ');

const bytesOf = (content: Attachment['content']): Uint8Array =>
  typeof content === 'string' ? Buffer.from(content, 'utf8') : content instanceof ArrayBuffer ? new Uint8Array(content) : content;

export async function extractEmail(bytes: Uint8Array, limits: ExtractLimits, extract: Extract, hooks: ExtractHooks = {}): Promise<Extracted> {
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
  const files = email.attachments.filter((a) => !(a.related && a.mimeType.startsWith('image/')));
  for (const [i, attachment] of files.entries()) {
    const name = attachment.filename?.trim() || `attachment ${i + 1}`;
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
    hooks.progress?.(`attachment ${i + 1} of ${Math.min(files.length, limits.maxAttachments)}`);
    try {
      const inner = await extract(content, sniffed.mime, limits, hooks);
      blocks.push({ kind: 'heading', level: subject ? 2 : 1, text: `Attachment: ${name}` });
      // An attachment's own headings sit under its "Attachment:" heading; its pages are not the e-mail's.
      for (const b of inner.blocks) {
        const { page: _page, ...rest } = b;
        blocks.push(rest.kind === 'heading' ? { ...rest, level: Math.min(6, (rest.level ?? 1) + (subject ? 2 : 1)) } : rest);
      }
    } catch (error) {
      if (!(error instanceof ExtractionError)) throw error;
      refused.push(`${name}: ${error.message}`);
    }
  }
  if (refused.length > 0) blocks.push({ kind: 'list', text: ['Attachments not read:', ...refused.map((r) => `- ${r}`)].join('\n') });
  return { blocks, title: subject || undefined };
}
