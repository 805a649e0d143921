/**
 * Search and answers, wired to configuration: queries are embedded by the
 * embedder of the active space (which may be an older model while a new one
 * re-embeds), and answers are generated when CHAT_MODEL is configured.
 */
import { createEmbedderForSpace, createOpenAIChatProvider, type ChatProvider, type Embedder, type EmbeddingSpaceIdentity } from '@quarry/ai';
import type { Config } from '@quarry/config';
import type { Database } from '@quarry/db';
import { createAnswerService, createSearchService } from '@quarry/search';

export function createChatProvider(config: Config): ChatProvider | undefined {
  const { chat, chatModel, timeoutMs } = config.ai;
  if (chatModel === undefined || chat === undefined) return undefined;
  // CHAT_BASE_URL / CHAT_API_KEY (else OPENAI_*): never the embedding endpoint's.
  return createOpenAIChatProvider({ baseUrl: chat.baseUrl, apiKey: chat.apiKey, model: chatModel, timeoutMs });
}

export function createSearchServices(config: Config, db: Database, options: { chat?: ChatProvider } = {}) {
  const embedders = new Map<string, Embedder | undefined>();
  const queryEmbedder = (space: EmbeddingSpaceIdentity) => {
    const key = `${space.provider}\u0000${space.model}\u0000${space.dimensions}`;
    if (!embedders.has(key)) embedders.set(key, createEmbedderForSpace(config.ai, space));
    return embedders.get(key);
  };
  const search = createSearchService({ db, language: config.search.language, queryEmbedder, resident: { maxPassages: config.search.memoryPassages } });
  const chat = options.chat ?? createChatProvider(config);
  const answers = createAnswerService({ search, ...(chat ? { chat } : {}) });
  return { search, answers };
}
