/**
 * Answers: retrieve the best passages of the workspace, then either stream a
 * generated answer from the configured chat model (citing passages as [n]) or,
 * with no model, compose an extractive one from the passages' best sentences.
 * Either way the caller sees the same events: `citations`, `delta`…, then
 * `done` — or `error`, which always ends the sequence.
 */
import type { ChatProvider } from '@quarry/ai';
import type { RetrievedPassage, SearchService } from '../service.js';
import { excerpt } from '../snippets.js';
import { SearchInputError } from '../types.js';
import {
  extractiveAnswer,
  NO_PASSAGES,
  type Citation,
  type ClosestMatch,
  type QuestionEmbedding,
} from './extractive.js';
import { createCitationCheck } from './citation-check.js';
import { standaloneQuery, type PreviousTurn } from './follow-up.js';
import { buildAnswerPrompt } from './prompt.js';
import type { SelectionOptions } from './selection.js';

export type { Citation, ClosestMatch } from './extractive.js';
export type { PreviousTurn } from './follow-up.js';

export const ANSWER_LIMITS = { maxQuestionChars: 2_000, defaultTopK: 6, maxTopK: 12, maxAnswerTokens: 800 } as const;

export interface AnswerResult {
  answer: string;
  /** The passages the answer cites, and only those. */
  citations: Citation[];
  /** When the documents do not cover the question: the nearest passages (not sources); otherwise empty. */
  closestMatches: ClosestMatch[];
  mode: 'generated' | 'extractive';
  /** The chat model that wrote the answer; null for extractive answers. */
  model: string | null;
  /**
   * Numbers the model cited that named no passage it was given: removed from `answer` (and from the
   * stream before it was shown). Non-empty marks the answer as having had invented citations.
   */
  removedCitations: number[];
}

export interface AnswerFailure {
  error: { code: string; message: string };
}

export type AnswerEvent =
  | { event: 'citations'; data: Citation[] }
  | { event: 'delta'; data: { text: string } }
  | { event: 'done'; data: AnswerResult }
  | { event: 'error'; data: AnswerFailure };

export interface AskRequest {
  workspaceId: string;
  question: string;
  /** What retrieval searches for, when not the question itself (a follow-up made standalone). */
  retrievalQuery?: string;
  /** Earlier turns of the thread, oldest first: a chat model sees them (without their citations). */
  history?: PreviousTurn[];
  documentIds?: string[];
  topK?: number;
}

export interface PreparedAnswer {
  /** The events of this answer; ends after `done` or `error`. */
  events(signal?: AbortSignal): AsyncGenerator<AnswerEvent>;
}

export interface AnswerServiceDeps {
  search: SearchService;
  /** The configured chat model; without one, answers are extractive. */
  chat?: ChatProvider;
  /** Overrides of the extractive selection settings (by default chosen for the active embedding model). */
  extractive?: Partial<SelectionOptions>;
}

export interface AnswerService {
  /** Validates and retrieves (errors here are the caller's or the database's); the answer itself comes from `events()`. */
  prepare(request: AskRequest): Promise<PreparedAnswer>;
  /** Runs an answer to completion; resolves to the `done` object or rejects with AnswerError. */
  answer(request: AskRequest, signal?: AbortSignal): Promise<AnswerResult>;
  /** A follow-up made standalone for retrieval (follow-up.ts): by the chat model, else by the previous query's terms. */
  standaloneQuery(question: string, history: PreviousTurn[], signal?: AbortSignal): ReturnType<typeof standaloneQuery>;
  /** The chat model's name, or null when answers are extractive. */
  readonly chatModel: string | null;
}

export class AnswerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AnswerError';
  }
}

export function createAnswerService(deps: AnswerServiceDeps): AnswerService {
  const service: AnswerService = {
    async prepare(request) {
      const question = (request.question ?? '').replace(/\s+/g, ' ').trim();
      if (question === '') throw new SearchInputError('question', 'question: ask something');
      if (question.length > ANSWER_LIMITS.maxQuestionChars) {
        throw new SearchInputError('question', `question: at most ${ANSWER_LIMITS.maxQuestionChars} characters`);
      }
      const topK = request.topK ?? ANSWER_LIMITS.defaultTopK;
      if (!Number.isInteger(topK) || topK < 1 || topK > ANSWER_LIMITS.maxTopK) {
        throw new SearchInputError('topK', `topK: a whole number from 1 to ${ANSWER_LIMITS.maxTopK}`);
      }
      // A follow-up is answered about its standalone form: retrieval and the extractive selection use it.
      const query = (request.retrievalQuery ?? question).replace(/\s+/g, ' ').trim().slice(0, 1000) || question.slice(0, 1000);
      const passages = await deps.search.retrieve({
        workspaceId: request.workspaceId,
        query,
        mode: 'hybrid',
        topK,
        ...(request.documentIds !== undefined && request.documentIds.length > 0
          ? { documentIds: request.documentIds }
          : {}),
      });
      const embedding = () => deps.search.questionEmbedding(query).catch(() => undefined);
      const history = request.history ?? [];
      return {
        events: (signal) =>
          deps.chat
            ? generated(deps.chat, question, history, passages, signal)
            : extractive(query, passages, embedding, deps.extractive, signal),
      };
    },

    async answer(request, signal) {
      const prepared = await service.prepare(request);
      for await (const event of prepared.events(signal)) {
        if (event.event === 'done') return event.data;
        if (event.event === 'error') throw new AnswerError(event.data.error.code, event.data.error.message);
      }
      throw new AnswerError('answer_incomplete', 'The answer ended without a result.');
    },

    standaloneQuery: (question, history, signal) => standaloneQuery(question, history, deps.chat, signal),
    chatModel: deps.chat?.model ?? null,
  };
  return service;
}

function citationsOf(passages: RetrievedPassage[]): Citation[] {
  return passages.map((p, i) => ({
    n: i + 1,
    documentId: p.documentId,
    documentTitle: p.documentTitle,
    passageId: p.passageId,
    page: p.page,
    quote: excerpt(p.text, 300),
  }));
}

async function* extractive(
  question: string,
  passages: RetrievedPassage[],
  embedding: () => Promise<QuestionEmbedding | undefined>,
  options: Partial<SelectionOptions> | undefined,
  signal?: AbortSignal,
): AsyncGenerator<AnswerEvent> {
  let result;
  try {
    result = await extractiveAnswer(
      question,
      passages,
      passages.length === 0 ? undefined : await embedding(),
      options,
      signal,
    );
  } catch (error) {
    if (signal?.aborted) return;
    yield {
      event: 'error',
      data: {
        error: {
          code: 'answer_failed',
          message: `The answer could not be composed: ${(error as Error).message}`.slice(0, 300),
        },
      },
    };
    return;
  }
  yield { event: 'citations', data: result.citations };
  for (const text of result.pieces) yield { event: 'delta', data: { text } };
  yield {
    event: 'done',
    data: {
      answer: result.pieces.join(''),
      citations: result.citations,
      closestMatches: result.closestMatches,
      mode: 'extractive',
      model: null,
      removedCitations: [],
    },
  };
}

async function* generated(
  chat: ChatProvider,
  question: string,
  history: PreviousTurn[],
  passages: RetrievedPassage[],
  signal?: AbortSignal,
): AsyncGenerator<AnswerEvent> {
  const citations = citationsOf(passages);
  yield { event: 'citations', data: citations };
  if (passages.length === 0) {
    // Nothing to ground an answer in: do not let the model improvise one.
    yield { event: 'delta', data: { text: NO_PASSAGES } };
    yield {
      event: 'done',
      data: { answer: NO_PASSAGES, citations: [], closestMatches: [], mode: 'generated', model: chat.model, removedCitations: [] },
    };
    return;
  }
  const { messages } = buildAnswerPrompt(question, passages, undefined, history);
  let answer = '';
  const check = createCitationCheck(passages.length);
  try {
    for await (const piece of chat.stream(messages, { signal, maxTokens: ANSWER_LIMITS.maxAnswerTokens })) {
      const text = check.push(piece);
      if (text === '') continue;
      answer += text;
      yield { event: 'delta', data: { text } };
    }
    const rest = check.flush();
    if (rest !== '') {
      answer += rest;
      yield { event: 'delta', data: { text: rest } };
    }
  } catch (error) {
    if (signal?.aborted) return;
    yield {
      event: 'error',
      data: {
        error: {
          code: 'answer_failed',
          message: `The chat model could not answer: ${(error as Error).message}`.slice(0, 300),
        },
      },
    };
    return;
  }
  if (answer.trim() === '') {
    yield {
      event: 'error',
      data: { error: { code: 'answer_failed', message: 'The chat model returned an empty answer.' } },
    };
    return;
  }
  // The model was given every passage (the `citations` event); the finished answer's sources are those it cites.
  const cited = new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  yield {
    event: 'done',
    data: {
      answer,
      citations: citations.filter((c) => cited.has(c.n)),
      closestMatches: [],
      mode: 'generated',
      model: chat.model,
      removedCitations: [...check.removed],
    },
  };
}
