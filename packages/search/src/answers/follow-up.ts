/**
 * Follow-up questions in a thread ("and how is it invoked?") name their
 * subject only through the conversation. Retrieval sees one query, so a
 * follow-up is made standalone first: by the chat model when there is one
 * (asked to rewrite, not to answer), else by carrying the previous query's
 * content words over — but only when the follow-up looks dependent (a
 * pronoun, a leading "and"/"what about", or almost no content words of its
 * own), so a change of subject is not dragged back to the old one.
 */
import type { ChatProvider } from '@quarry/ai';
import { terms, words } from './terms.js';

export interface PreviousTurn {
  question: string;
  /** The query retrieval used for it (the question, or its standalone rewrite). */
  retrievalQuery: string;
  answer: string;
}

/** Words that point back at something said before. */
const ANAPHORA = new Set(['it', 'its', 'this', 'that', 'these', 'those', 'they', 'them', 'their', 'he', 'she', 'him', 'her', 'his', 'there', 'one', 'ones']);
const CONNECTIVES = /^(and|but|also|so|then|or|what about|how about|and what|and how|same for|why not)\b/i;
const MAX_QUERY_CHARS = 1_000;
/** Content words carried over from the previous query at most. */
const MAX_CARRIED_TERMS = 8;

/** Whether the follow-up leans on the conversation for its subject. */
export function isDependentFollowUp(question: string): boolean {
  const w = words(question);
  if (CONNECTIVES.test(question.trim())) return true;
  if (w.some((x) => ANAPHORA.has(x))) return true;
  return terms(question).length <= 1;
}

/** The offline rewrite: the follow-up plus the previous query's content words it does not already have. */
export function combineWithPrevious(question: string, previous: PreviousTurn | undefined): string {
  if (previous === undefined || !isDependentFollowUp(question)) return question;
  const own = new Set(terms(question));
  const carried: string[] = [];
  const seen = new Set<string>();
  // Original words (not stems) so keyword search and the embedder see real words.
  for (const word of previous.retrievalQuery.match(/[\p{L}\p{N}][\p{L}\p{N}._-]*/gu) ?? []) {
    const [stem] = terms(word);
    if (stem === undefined || own.has(stem) || seen.has(stem)) continue;
    seen.add(stem);
    carried.push(word);
    if (carried.length >= MAX_CARRIED_TERMS) break;
  }
  if (carried.length === 0) return question;
  return `${question} ${carried.join(' ')}`.slice(0, MAX_QUERY_CHARS);
}

const REWRITE_SYSTEM = [
  'You rewrite the last question of a conversation into one standalone search query.',
  'Replace pronouns and references with what they refer to, using the earlier questions and answers.',
  'Do not answer the question. Reply with the rewritten question only, on one line, without quotes or explanation.',
  'If the question is already standalone, repeat it unchanged.',
].join('\n');

/**
 * The standalone query for a follow-up. With a chat model: its rewrite (bounded, falling back to the
 * offline rule when the model fails or returns nothing usable). Never throws, except for an abort.
 */
export async function standaloneQuery(
  question: string,
  history: PreviousTurn[],
  chat: ChatProvider | undefined,
  signal?: AbortSignal,
): Promise<{ query: string; rewrittenBy: 'none' | 'terms' | 'model' }> {
  const previous = history.at(-1);
  if (previous === undefined) return { query: question, rewrittenBy: 'none' };
  const offline = combineWithPrevious(question, previous);
  if (chat === undefined || !isDependentFollowUp(question)) {
    return { query: offline, rewrittenBy: offline === question ? 'none' : 'terms' };
  }
  const transcript = history
    .slice(-3)
    .map((t) => `User: ${t.question}\nAssistant: ${t.answer.replace(/\[\d+(?:\s*,\s*\d+)*\]/g, '').slice(0, 600)}`)
    .join('\n');
  try {
    let text = '';
    for await (const piece of chat.stream(
      [
        { role: 'system', content: REWRITE_SYSTEM },
        { role: 'user', content: `${transcript}\n\nLast question: ${question}\n\nStandalone query:` },
      ],
      { ...(signal ? { signal } : {}), maxTokens: 80 },
    )) {
      text += piece;
      if (text.length > 2 * MAX_QUERY_CHARS) break;
    }
    const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '')?.replace(/^["'“]|["'”]$/g, '');
    if (line !== undefined && terms(line).length > 0) return { query: line.slice(0, MAX_QUERY_CHARS), rewrittenBy: 'model' };
  } catch (error) {
    if (signal?.aborted) throw error;
    // The model is down or refused: the offline rule still finds the subject.
  }
  return { query: offline, rewrittenBy: offline === question ? 'none' : 'terms' };
}
