/** The page a set-up or password-reset link opens (signed out): choose a password, then sign in. */
import { useState } from 'react';
import { Link } from 'wouter';
import { ApiError, api } from '../api/client.js';
import { useSubmit } from '../api/submit.js';
import { ErrorText, PasswordField, useTitle } from '../components/common.js';

/**
 * A set-up or reset link an administrator made (Quarry sends no e-mail): the
 * owner chooses a password, then signs in with it. A link works once and only
 * while it is the newest one for the account.
 */
export function ResetPasswordForm({ token }: { token: string }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const reset = useSubmit(() => api.resetPassword({ token, newPassword: password }));
  useTitle('Choose a password');
  if (!token) return <SpentLink reason="This link has no token in it. Copy the whole link you were given." />;
  if (reset.isSuccess)
    return (
      <div role="status">
        <h1 id="page-heading">Password set</h1>
        <p>Your new password works now. Other sessions of your account were signed out.</p>
        <p>
          <Link href="/sign-in" className="button primary">
            Sign in
          </Link>
        </p>
      </div>
    );
  // better-auth answers a spent, replaced or expired token with 400 INVALID_TOKEN.
  const spent = reset.error instanceof ApiError && reset.error.status === 400 && /token/i.test(`${reset.error.code} ${reset.error.message}`);
  if (spent) return <SpentLink reason="It may have been used already, replaced by a newer link, or it has expired." />;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setMismatch(password !== repeat);
        if (password === repeat) reset.submit();
      }}
      aria-labelledby="page-heading"
    >
      <h1 id="page-heading">Choose a password</h1>
      <p className="muted">An administrator made this link for your account. It works once.</p>
      <PasswordField label="New password" purpose="new" value={password} onChange={setPassword} />
      <PasswordField label="Repeat the password" purpose="new" hint={false} invalid={mismatch} value={repeat} onChange={setRepeat} />
      {mismatch ? (
        <p className="error" role="alert">
          The two passwords differ.
        </p>
      ) : null}
      <ErrorText error={reset.error} />
      <button type="submit" className="primary wide" disabled={reset.busy}>
        {reset.busy ? 'Setting password…' : 'Set password'}
      </button>
    </form>
  );
}

function SpentLink({ reason }: { reason: string }) {
  return (
    <div>
      <h1 id="page-heading">This link cannot be used</h1>
      <p>{reason} Ask an administrator for a new one.</p>
      <p>
        <Link href="/sign-in">Sign in</Link>
      </p>
    </div>
  );
}
