import { EmbeddingProviderError } from '@quarry/ai';
import { ObjectNotFoundError } from '@quarry/storage';
import { ExtractionError } from './extract/types.js';

/** What a failed job says, to the user on the document and to the operator in the log. */
export function failureReason(error: unknown): string {
  if (error instanceof ExtractionError) return error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.';
  if (error instanceof ObjectNotFoundError) return 'The stored file is missing.';
  if (error instanceof EmbeddingProviderError) return `Embedding failed: ${error.message}.`;
  return `Processing failed: ${safeMessage(error).slice(0, 300)}.`;
}

/**
 * A failure's message without the values it may quote: it is stored on the job and the
 * document (users read it) and logged. Drizzle's `Failed query: … params: …` carries every
 * bound value (passage text among them), so a query error is described by its cause, and
 * PostgreSQL's quoted values are masked.
 */
function safeMessage(error: unknown): string {
  const e = error as { message?: unknown; query?: unknown; params?: unknown; cause?: unknown } | null;
  if (e && typeof e === 'object' && typeof e.query === 'string' && 'params' in e) {
    const cause = e.cause instanceof Error ? e.cause.message : '';
    return cause ? `a database error (${maskQuoted(cause.split(/\nparams:/)[0]!)})` : 'a database error';
  }
  const message = error instanceof Error ? error.message : String(error);
  return maskQuoted(message.split(/\nparams:/)[0]!);
}

function maskQuoted(message: string): string {
  return message.replace(/"[^"\n]*"/g, '"…"').replace(/'[^'\n]*'/g, "'…'");
}

