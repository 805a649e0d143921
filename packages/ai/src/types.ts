/**
 * The small interfaces every AI provider implements. Domain code depends on
 * these, never on a vendor SDK.
 */

/** Identifies an embedding space: vectors are only ever compared within one. */
export interface EmbeddingSpaceIdentity {
  provider: string;
  model: string;
  dimensions: number;
}

export interface Embedder {
  readonly space: EmbeddingSpaceIdentity;
  /** Embeds texts; `query` and `passage` may be embedded differently by some models. Vectors are L2-normalised. */
  embed(texts: string[], purpose: 'passage' | 'query', signal?: AbortSignal): Promise<number[][]>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatProvider {
  readonly provider: string;
  readonly model: string;
  /** Streams the answer text in pieces; rejects (or throws while iterating) on a provider error. */
  stream(messages: ChatMessage[], options?: { signal?: AbortSignal; maxTokens?: number }): AsyncIterable<string>;
}
