/** Signed-out screens: first-run admin setup, sign in, sign up, accept an invitation. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, Redirect, useLocation, useRoute, useSearch } from 'wouter';
import { ApiError, api } from '../api/client.js';
import type { Me } from '../api/contract.js';
import { ErrorText, Field, PageTitle, Spinner } from '../components/common.js';

export const authStatusQuery = {
  queryKey: ['auth-status'],
  queryFn: async () => {
    try {
      return await api.authStatus();
    } catch (error) {
      // Older servers without the endpoint: assume an existing install with sign-in only.
      if (error instanceof ApiError && error.status === 404)
        return { needsAdmin: false, signupMode: 'invite' as const };
      throw error;
    }
  },
};

function useAuthStatus() {
  return useQuery(authStatusQuery);
}

export function AuthScreen() {
  const [location] = useLocation();
  const search = useSearch();
  const [, inviteParams] = useRoute('/invite/:token');
  const status = useAuthStatus();

  useEffect(() => {
    document.title = 'Sign in · Quarry';
  }, []);

  if (status.isPending) return <Spinner label="Loading…" />;
  const needsSetup = status.data?.needsAdmin ?? false;
  const invite = inviteParams?.token ?? new URLSearchParams(search).get('invite') ?? undefined;
  const signupMode = status.data?.signupMode ?? 'invite';

  let body;
  if (needsSetup && location !== '/setup') body = <Redirect to="/setup" replace />;
  else if (location === '/setup')
    body = !needsSetup ? (
      <Redirect to="/sign-in" replace />
    ) : status.data?.firstRun === 'shell' ? (
      <ShellSetup />
    ) : (
      <SignUpForm kind="setup" adminEmail={status.data?.firstRun === 'admin-email'} />
    );
  else if (invite) body = <SignUpForm kind="invite" invitation={invite} />;
  else if (location === '/sign-up' || location === '/signup')
    body = signupMode === 'open' ? <SignUpForm kind="open" /> : <ClosedSignUp mode={signupMode} />;
  else body = <SignInForm signupOpen={signupMode === 'open'} />;

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark">Q</span> Quarry
        </p>
        <ErrorText error={status.error} />
        {body}
      </div>
    </main>
  );
}

function SignInForm({ signupOpen }: { signupOpen: boolean }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => api.signIn({ email, password }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  return (
    <form onSubmit={submit} aria-labelledby="page-heading">
      <h1 id="page-heading">Sign in</h1>
      <Field label="Email">
        {(id) => (
          <input
            id={id}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <Field label="Password">
        {(id) => (
          <input
            id={id}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <ErrorText error={signIn.error} />
      <RetryNotice error={signIn.error} />
      <button type="submit" className="primary wide" disabled={signIn.isPending}>
        {signIn.isPending ? 'Signing in…' : 'Sign in'}
      </button>
      {signupOpen ? (
        <p className="muted center">
          New here? <Link href="/sign-up">Create an account</Link>
        </p>
      ) : (
        <p className="muted center small">New here? Ask an administrator for an account or an invitation link.</p>
      )}
    </form>
  );
}

/** A 429 from sign-in: when (local time) the account or address may try again. */
function RetryNotice({ error }: { error: unknown }) {
  if (!(error instanceof ApiError) || error.status !== 429) return null;
  const inner = (error.body?.error ?? {}) as { retryAt?: unknown; retryAfterSeconds?: unknown };
  const at =
    typeof inner.retryAt === 'string'
      ? new Date(inner.retryAt)
      : typeof inner.retryAfterSeconds === 'number'
        ? new Date(Date.now() + inner.retryAfterSeconds * 1000)
        : undefined;
  if (!at || Number.isNaN(at.getTime())) return null;
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <p className="muted small" data-testid="sign-in-retry">
      You can try again at <time dateTime={at.toISOString()}>{time}</time>. Other accounts can still sign in meanwhile.
    </p>
  );
}

/** Production without ADMIN_EMAIL: nobody becomes admin by signing up; the operator makes one on the server. */
function ShellSetup() {
  return (
    <div>
      <h1 id="page-heading">Set up Quarry</h1>
      <p>This Quarry has no administrator yet, and on a production install sign-up cannot create one.</p>
      <p>On the server, run:</p>
      <pre>
        <code>quarry admin create --email you@example.com</code>
      </pre>
      <p className="muted small">
        With Docker Compose: <code>docker compose exec web quarry admin create --email you@example.com</code>. It prints
        a one-time password; sign in with it, then change it. Or set <code>ADMIN_EMAIL</code> and sign up with that
        address.
      </p>
      <p>
        <Link href="/sign-in">Sign in</Link>
      </p>
    </div>
  );
}

function ClosedSignUp({ mode }: { mode: 'invite' | 'closed' }) {
  return (
    <div>
      <h1 id="page-heading">Sign up</h1>
      <p>
        {mode === 'invite'
          ? 'Accounts on this Quarry are by invitation. Ask an administrator for an invitation link.'
          : 'Sign-up is closed on this Quarry. Ask an administrator for an account.'}
      </p>
      <p>
        <Link href="/sign-in">Back to sign in</Link>
      </p>
    </div>
  );
}

function SignUpForm({
  kind,
  invitation,
  adminEmail,
}: {
  kind: 'setup' | 'open' | 'invite';
  invitation?: string;
  adminEmail?: boolean;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [, navigate] = useLocation();
  const signUp = useMutation({
    mutationFn: () => api.signUp({ name, email, password, ...(invitation ? { inviteToken: invitation } : {}) }),
    onSuccess: async () => {
      navigate('/', { replace: true });
      await queryClient.invalidateQueries({ queryKey: ['auth-status'] });
      await queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const title =
    kind === 'setup' ? 'Set up Quarry' : kind === 'invite' ? 'Accept your invitation' : 'Create your account';
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        signUp.mutate();
      }}
      aria-labelledby="page-heading"
    >
      <h1 id="page-heading">{title}</h1>
      {kind === 'setup' ? (
        <p className="muted">
          {adminEmail
            ? 'No one has signed up yet. Sign up with the administrator e-mail address set on the server (ADMIN_EMAIL) to become the administrator.'
            : 'No one has signed up yet. The account you create now is the administrator.'}
        </p>
      ) : null}
      {kind === 'invite' ? <p className="muted">Create your account to join this Quarry.</p> : null}
      <Field label="Name">
        {(id) => <input id={id} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Email">
        {(id) => (
          <input
            id={id}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <Field label="Password" hint="At least 10 characters.">
        {(id, hint) => (
          <input
            id={id}
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            aria-describedby={hint}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <ErrorText error={signUp.error} />
      <button type="submit" className="primary wide" disabled={signUp.isPending}>
        {signUp.isPending ? 'Creating account…' : kind === 'setup' ? 'Create administrator account' : 'Create account'}
      </button>
      {kind !== 'setup' ? (
        <p className="muted center">
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </p>
      ) : null}
    </form>
  );
}

/** An invitation link opened while signed in: say so instead of silently dropping it. */
export function SignedInInvitation({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const signOut = useMutation({
    mutationFn: api.signOut,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  return (
    <section className="narrow">
      <PageTitle>Invitation</PageTitle>
      <p>
        You are signed in as <strong>{me.user.email}</strong>. An invitation creates a new account: sign out first to
        use it.
      </p>
      <ErrorText error={signOut.error} />
      <div className="row-end">
        <Link href="/">Stay signed in</Link>
        <button type="button" className="primary" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out and use the invitation
        </button>
      </div>
    </section>
  );
}
