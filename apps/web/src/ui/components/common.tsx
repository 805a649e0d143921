/** Small shared pieces: error messages, fields, confirm dialog, page titles, navigation. */
import { useEffect, useId, useLayoutEffect, useRef, type ReactNode } from 'react';
import { useLocation } from 'wouter';
import { ApiError } from '../api/client.js';

/**
 * Navigates (replacing the history entry) whenever it renders a new target.
 * wouter's <Redirect> navigates only when it mounts, and React reuses the
 * mounted one when one redirecting route follows another (sign-in → "/" → the
 * first workspace): the second never fired and the page stayed blank.
 */
export function Navigate({ to }: { to: string }) {
  const [, navigate] = useLocation();
  useLayoutEffect(() => navigate(to, { replace: true }), [navigate, to]);
  return null;
}

/** Sets document.title for screens without a <PageTitle> (the signed-out ones). */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Quarry`;
  }, [title]);
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/**
 * An error shown next to what caused it; announced to screen readers. The
 * request id is for an operator reading the logs, not for the reader: it sits
 * on its own details line, outside what is announced.
 */
export function ErrorText({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <>
      <p className="error" role="alert" id={id}>
        {errorMessage(error)}
      </p>
      {requestId ? (
        <p className="error-detail muted small">
          Request ID: <span className="mono">{requestId}</span>
        </p>
      ) : null}
    </>
  );
}

export function Field(props: {
  label: string;
  children: (id: string, describedBy?: string) => ReactNode;
  hint?: string;
}) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, hintId)}
      {props.hint ? (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

/** The server's password rule (better-auth's minPasswordLength / maxPasswordLength). */
export const PASSWORD_RULE = { min: 10, max: 256, hint: 'At least 10 characters.' } as const;

/**
 * A password input in its Field. `purpose: 'new'` asks browsers to suggest a new password and
 * holds the input to the server's rule (with the rule as hint unless `hint` is false);
 * `'current'` lets a password manager fill the saved one.
 */
export function PasswordField(props: {
  label: string;
  purpose: 'current' | 'new';
  value: string;
  onChange: (value: string) => void;
  hint?: boolean;
  invalid?: boolean;
}) {
  const isNew = props.purpose === 'new';
  const showHint = isNew && props.hint !== false;
  return (
    <Field label={props.label} {...(showHint ? { hint: PASSWORD_RULE.hint } : {})}>
      {(id, hint) => (
        <input
          id={id}
          type="password"
          autoComplete={isNew ? 'new-password' : 'current-password'}
          required
          {...(isNew ? { minLength: PASSWORD_RULE.min, maxLength: PASSWORD_RULE.max } : {})}
          aria-describedby={hint}
          aria-invalid={props.invalid || undefined}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** Sets document.title and renders the page heading; focus moves to it on navigation. */
export function PageTitle({ children, actions }: { children: string; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · Quarry`;
  }, [children]);
  // After navigating with a link in a nav bar, move focus to the new page's heading (screen readers announce it).
  useEffect(() => {
    const active = document.activeElement;
    if (active instanceof HTMLElement && active.closest('nav')) ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="page-title">
      <h1 ref={ref} tabIndex={-1} id="page-heading">
        {children}
      </h1>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** A modal confirmation built on <dialog> (focus is trapped and restored by the browser). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  /** Not ready to confirm yet (e.g. a confirmation phrase not typed). */
  disabled?: boolean;
  error?: unknown;
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div className="dialog-body">{props.children}</div>
      <ErrorText error={props.error} />
      <div className="dialog-actions">
        <button type="button" onClick={props.onCancel} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          className={props.danger ? 'danger' : 'primary'}
          onClick={props.onConfirm}
          disabled={props.busy || props.disabled}
        >
          {props.busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

export function formatDate(iso: string | undefined | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
