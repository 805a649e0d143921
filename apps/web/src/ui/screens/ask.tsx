/**
 * Ask: the answer streams in as it is generated; `[n]` markers become links to
 * the cited passages; an extractive answer (no chat model) is labelled so.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import type { Answer, Citation } from '../api/contract.js';
import { askStream } from '../api/stream.js';
import { ErrorText, PageTitle } from '../components/common.js';
import { passageHref, type PassageLinkState } from '../passage-links.js';
import type { WorkspaceContext } from '../workspace/context.js';

/** Passages near a question the documents do not cover (the server sends them with the finished answer; not sources). */
type ClosestMatch = Omit<Citation, 'n'>;

interface AskState {
  question: string;
  text: string;
  citations: Citation[];
  done?: Answer & { closestMatches?: ClosestMatch[] };
  error?: unknown;
  streaming: boolean;
}

export function AnswerText({ ws, text, citations }: { ws: string; text: string; citations: Citation[] }) {
  const byN = new Map(citations.map((c) => [c.n, c]));
  const parts = text.split(/(\[\d+\])/);
  return (
    <>
      {parts.map((part, i) => {
        const n = /^\[(\d+)\]$/.exec(part)?.[1];
        const citation = n ? byN.get(Number(n)) : undefined;
        if (!citation) return <span key={i}>{part}</span>;
        return (
          <Link
            key={i}
            href={passageHref(ws, citation)}
            state={{ passageText: citation.quote } satisfies PassageLinkState}
            className="cite"
            aria-label={`Source ${citation.n}: ${citation.documentTitle}${citation.page !== null ? `, page ${citation.page}` : ''}`}
          >
            [{citation.n}]
          </Link>
        );
      })}
    </>
  );
}

export function AskScreen({ ctx }: { ctx: WorkspaceContext }) {
  const [question, setQuestion] = useState('');
  const [state, setState] = useState<AskState | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const q = question.trim();
    if (!q) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setState({ question: q, text: '', citations: [], streaming: true });
    try {
      await askStream(
        api.askUrl(ctx.ws),
        { question: q },
        {
          onCitations: (citations) => setState((s) => (s ? { ...s, citations } : s)),
          onDelta: (text) => setState((s) => (s ? { ...s, text: s.text + text } : s)),
          onDone: (answer) =>
            setState((s) => (s ? { ...s, done: answer, text: answer.answer, citations: answer.citations } : s)),
        },
        controller.signal,
      );
      setState((s) => (s ? { ...s, streaming: false } : s));
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      setState((s) => (s ? { ...s, streaming: false, error } : s));
    }
  };

  return (
    <section>
      <PageTitle>{`Ask ${ctx.name}`}</PageTitle>
      <form className="card ask-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="ask-q">Your question</label>
        <textarea
          id="ask-q"
          rows={3}
          maxLength={2000}
          value={question}
          placeholder="What would you like to know from these documents?"
          onChange={(e) => setQuestion(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit(e);
          }}
        />
        <div className="row-end">
          <span className="muted small">Answers cite the passages they come from.</span>
          <button type="submit" className="primary" disabled={state?.streaming || !question.trim()}>
            {state?.streaming ? 'Answering…' : 'Ask'}
          </button>
        </div>
      </form>

      {state ? (
        <article className="answer card" aria-busy={state.streaming} aria-labelledby="answer-heading">
          <div className="answer-head">
            <h2 id="answer-heading">Answer</h2>
            {state.done?.mode === 'extractive' ? (
              <span
                className="badge"
                title="No language model is configured: these are the best matching sentences, quoted from the passages."
              >
                Extractive answer
              </span>
            ) : null}
            {state.done?.mode === 'generated' && state.done.model ? (
              <span className="badge subtle">{state.done.model}</span>
            ) : null}
          </div>
          <p className="muted small question">{state.question}</p>
          <div className="answer-text" data-testid="answer-text" aria-live="polite">
            <AnswerText ws={ctx.ws} text={state.text} citations={state.citations} />
            {state.streaming ? <span className="cursor" aria-hidden="true" /> : null}
          </div>
          {state.streaming && !state.text ? <p className="muted small">Reading the passages…</p> : null}
          <ErrorText error={state.error} />
          {state.citations.length ? (
            <>
              <h3>Sources</h3>
              <ol className="sources">
                {state.citations.map((c) => (
                  <li key={c.n} value={c.n}>
                    <Link href={passageHref(ctx.ws, c)} state={{ passageText: c.quote } satisfies PassageLinkState}>
                      {c.documentTitle}
                      {c.page !== null ? `, page ${c.page}` : ''}
                    </Link>
                    <blockquote className="muted small">{c.quote}</blockquote>
                  </li>
                ))}
              </ol>
            </>
          ) : null}
          {state.done?.closestMatches?.length ? (
            <>
              <h3>Closest matches</h3>
              <ul className="sources">
                {state.done.closestMatches.map((c) => (
                  <li key={c.passageId}>
                    <Link href={passageHref(ctx.ws, c)} state={{ passageText: c.quote } satisfies PassageLinkState}>
                      {c.documentTitle}
                      {c.page !== null ? `, page ${c.page}` : ''}
                    </Link>
                    <blockquote className="muted small">{c.quote}</blockquote>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </article>
      ) : null}
    </section>
  );
}
