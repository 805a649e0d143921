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

/** What an embedder is and how it is doing, for `/api/health` and logs (never contains text). */
export interface EmbedderStatus extends EmbeddingSpaceIdentity {
  /** What computes the vectors: `onnxruntime-node` (local model), `hashed` (lexical fallback), `http` (OpenAI-compatible server). */
  runtime: 'onnxruntime-node' | 'hashed' | 'http';
  /** Local model thread: not started yet, loading, ready, or failed to start (then `error` says why). */
  state?: 'idle' | 'loading' | 'ready' | 'failed';
  /** Set when this embedder stands in for the default model, which could not run here. */
  fallbackReason?: string;
  error?: string;
  /** Times the model thread died and was restarted. */
  restarts?: number;
}

export interface Embedder {
  readonly space: EmbeddingSpaceIdentity;
  /**
   * Embeds texts; `query` and `passage` may be embedded differently by some models (the embedder adds any
   * model-specific prefix itself — pass plain text). Vectors are L2-normalised.
   */
  embed(texts: string[], purpose: 'passage' | 'query', signal?: AbortSignal): Promise<number[][]>;
  /**
   * The longest input the model reads, in its own tokens (including special tokens); longer texts are
   * truncated. Size passages with `countTokens` to stay within it. (Optional only so small test fakes
   * need not declare it; every embedder in this package does.)
   */
  readonly maxTokens?: number;
  /** Tokens `text` takes in the model's input (its own tokenizer where it has one, else an estimate). */
  countTokens?(text: string): number | Promise<number>;
  /** The prefixes the embedder puts before queries and passages (e5/bge style; empty for models without). */
  readonly prefixes?: { readonly query: string; readonly passage: string };
  readonly status?: EmbedderStatus;
  /** Releases threads or connections; the embedder may be used again afterwards (it restarts lazily). */
  close?(): Promise<void>;
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
