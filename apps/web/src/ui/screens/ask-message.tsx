/**
 * One turn of a conversation: the question, then the answer with its
 * citations as chips that open the reader at the passage (passageHref), the
 * mode it was made in ("Extractive" or the model's name), and its actions:
 * copy, regenerate, thumbs up/down. Read-only (a shared thread) shows the
 * answer without the actions that change it.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import type { Citation } from '../api/contract.js';
import { ErrorText } from '../components/common.js';
import { passageHref, type PassageLinkState } from '../passage-links.js';
import type { ClosestMatch, ThreadMessage } from './ask-api.js';

/** A message as shown: the stored one, or one being written (status pending, text growing). */
export type ShownMessage = Omit<ThreadMessage, 'id'> & { id: string | null; error?: unknown };

const sourceLabel = (c: { documentTitle: string; page: number | null }) => `${c.documentTitle}${c.page !== null ? `, page ${c.page}` : ''}`;

/** The answer's text with each `[n]` (or `[n, m]`) turned into links to the cited passages. */
export function AnswerText({ ws, text, citations }: { ws: string; text: string; citations: Citation[] }) {
  const byN = new Map(citations.map((c) => [c.n, c]));
  const parts = text.split(/(\[\d+(?:\s*,\s*\d+)*\])/);
  return (
    <>
      {parts.map((part, i) => {
        const numbers = /^\[([\d\s,]+)\]$/.exec(part)?.[1]?.split(',').map((n) => Number(n.trim()));
        if (!numbers) return <span key={i}>{part}</span>;
        return (
          <span key={i} className="cite-group">
            {numbers.map((n) => {
              const citation = byN.get(n);
              if (!citation) return <span key={n} className="cite-missing">[{n}]</span>;
              return (
                <Link
                  key={n}
                  href={passageHref(ws, citation)}
                  state={{ passageText: citation.quote } satisfies PassageLinkState}
                  className="cite"
                  aria-label={`Source ${n}: ${sourceLabel(citation)}`}
                >
                  {n}
                </Link>
              );
            })}
          </span>
        );
      })}
    </>
  );
}

function SourceChips({ ws, items, label }: { ws: string; items: Array<Citation | (ClosestMatch & { n?: number })>; label: string }) {
  return (
    <ul className="source-chips" aria-label={label}>
      {items.map((c, i) => (
        <li key={`${c.passageId}-${i}`}>
          <Link href={passageHref(ws, c)} state={{ passageText: c.quote } satisfies PassageLinkState} className="source-chip" title={c.quote}>
            {'n' in c && c.n !== undefined ? <span className="chip-n">{c.n}</span> : null}
            <span className="chip-title">{sourceLabel(c)}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** A thumb drawn inline (emoji need a font a server's browser may lack); `down` is the same shape turned over. */
function Thumb({ down }: { down?: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" focusable="false" style={down ? { transform: 'rotate(180deg)' } : undefined}>
      <path
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinejoin="round"
        d="M7 10v11H3V10h4Zm0 0 4-8a3 3 0 0 1 3 3v4h5.5a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.1 21H7"
      />
    </svg>
  );
}

function ModeBadge({ message }: { message: ShownMessage }) {
  if (message.mode === 'extractive') {
    return (
      <span className="badge" title="No language model is configured: these are the best matching sentences, quoted from the passages.">
        Extractive
      </span>
    );
  }
  if (message.mode === 'generated' && message.model) {
    return (
      <span className="badge subtle" title="Written by this language model from the cited passages">
        {message.model}
      </span>
    );
  }
  return null;
}

export function AskMessage(props: {
  ws: string;
  message: ShownMessage;
  /** False for a thread shared with the reader: no regenerate, no rating. */
  editable: boolean;
  busy: boolean;
  onRegenerate(): void;
  onFeedback(rating: 'up' | 'down' | null): void;
}) {
  const { ws, message, editable, busy } = props;
  const [copied, setCopied] = useState(false);
  const writing = message.status === 'pending';
  const copy = async () => {
    // Citations as plain numbers; the sources follow, one per line.
    const sources = message.citations.map((c) => `[${c.n}] ${sourceLabel(c)}`).join('\n');
    await navigator.clipboard.writeText(sources ? `${message.answer}\n\n${sources}` : message.answer);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <li className="turn" data-testid="ask-turn">
      <div className="turn-question">
        <p>{message.question}</p>
      </div>
      <article className="turn-answer" aria-busy={writing} aria-label={`Answer to: ${message.question.slice(0, 80)}`}>
        <div className="turn-meta">
          <ModeBadge message={message} />
          {message.status === 'stopped' ? <span className="badge warn">Stopped</span> : null}
          {message.removedCitations.length ? (
            <span className="badge warn" title={`The model cited source ${message.removedCitations.join(', ')}, which it was not given; removed.`}>
              {message.removedCitations.length === 1 ? '1 invented citation removed' : `${message.removedCitations.length} invented citations removed`}
            </span>
          ) : null}
        </div>
        <div className="answer-text" data-testid="answer-text" aria-live={writing ? 'polite' : 'off'}>
          <AnswerText ws={ws} text={message.answer} citations={message.citations} />
          {writing ? <span className="cursor" aria-hidden="true" /> : null}
        </div>
        {writing && !message.answer ? <p className="muted small">Reading the passages…</p> : null}
        {message.status === 'failed' ? (
          <p className="error" role="alert">
            {message.errorCode === 'answer_interrupted' ? 'This answer was cut off (the server restarted). Regenerate it.' : 'The answer could not be completed. Regenerate it to try again.'}
          </p>
        ) : null}
        <ErrorText error={message.error} />
        {message.citations.length && !writing ? <SourceChips ws={ws} items={message.citations} label="Sources" /> : null}
        {message.closestMatches.length ? (
          <div className="closest">
            <p className="muted small">Closest matches — near the question, but they do not answer it:</p>
            <SourceChips ws={ws} items={message.closestMatches} label="Closest matches" />
          </div>
        ) : null}
        {!writing && message.id ? (
          <div className="turn-actions">
            <button type="button" className="ghost small" onClick={() => void copy()} disabled={!message.answer}>
              {copied ? 'Copied' : 'Copy answer'}
            </button>
            {editable ? (
              <>
                <button type="button" className="ghost small" onClick={props.onRegenerate} disabled={busy}>
                  Regenerate
                </button>
                <span className="feedback" role="group" aria-label="Was this answer helpful?">
                  <button
                    type="button"
                    className={`ghost small thumb${message.feedback === 'up' ? ' chosen' : ''}`}
                    aria-pressed={message.feedback === 'up'}
                    aria-label="Helpful"
                    title="Helpful"
                    onClick={() => props.onFeedback(message.feedback === 'up' ? null : 'up')}
                  >
                    <Thumb />
                  </button>
                  <button
                    type="button"
                    className={`ghost small thumb${message.feedback === 'down' ? ' chosen' : ''}`}
                    aria-pressed={message.feedback === 'down'}
                    aria-label="Not helpful"
                    title="Not helpful"
                    onClick={() => props.onFeedback(message.feedback === 'down' ? null : 'down')}
                  >
                    <Thumb down />
                  </button>
                </span>
              </>
            ) : null}
          </div>
        ) : null}
      </article>
    </li>
  );
}
