/** Signed-out screens: first-run admin setup, sign in, sign up, accept an invitation. */
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useRoute, useSearch } from 'wouter';
import { ApiError, api } from '../api/client.js';
import type { InvitationLookup, Me } from '../api/contract.js';
import { useSubmit } from '../api/submit.js';
import { ErrorText, Field, Navigate, PageTitle, PasswordField, Spinner, useTitle } from '../components/common.js';
import { authStatusQuery, meQuery } from '../api/queries.js';
import { ResetPasswordForm } from './reset-password.js';

/**
 * After signing in or up: learn who is signed in before the screen changes,
 * then go on. The next screen renders once, with the account and its
 * workspaces (no sign-in form or "already signed in" flashing in between).
 */
async function enter(queryClient: QueryClient, navigate: (to: string, o: { replace: boolean }) => void, to?: string) {
  await queryClient.fetchQuery({ ...meQuery, staleTime: 0 });
  if (to) navigate(to, { replace: true });
  void queryClient.invalidateQueries({ queryKey: ['auth-status'] });
}

function useAuthStatus() {
  return useQuery(authStatusQuery);
}

export function AuthScreen() {
  const [location] = useLocation();
  const search = useSearch();
  const [, inviteParams] = useRoute('/invite/:token');
  const status = useAuthStatus();

  if (status.isPending) return <Spinner label="Loading…" />;
  const needsSetup = status.data?.needsAdmin ?? false;
  const invite = inviteParams?.token ?? new URLSearchParams(search).get('invite') ?? undefined;
  const signupMode = status.data?.signupMode ?? 'invite';

  let body;
  // With single sign-on the first administrator may arrive through it (ADMIN_EMAIL or the admin group):
  // the sign-in page stays reachable before set-up.
  if (needsSetup && location !== '/setup' && !(status.data?.sso && location === '/sign-in')) body = <Navigate to="/setup" />;
  else if (location === '/setup')
    body = !needsSetup ? (
      <Navigate to="/sign-in" />
    ) : status.data?.firstRun === 'shell' ? (
      <ShellSetup />
    ) : (
      <SignUpForm kind="setup" adminEmail={status.data?.firstRun === 'admin-email'} />
    );
  else if (location === '/reset-password') body = <ResetPasswordForm token={new URLSearchParams(search).get('token') ?? ''} />;
  else if (invite) body = <InvitationSignUp token={invite} />;
  else if (location === '/sign-up' || location === '/signup')
    body = signupMode === 'open' ? <SignUpForm kind="open" /> : <ClosedSignUp mode={signupMode} />;
  else
    body = (
      <SignInForm
        signupOpen={signupMode === 'open' && status.data?.passwordSignIn !== false}
        sso={status.data?.sso ?? null}
        passwordSignIn={status.data?.passwordSignIn !== false}
      />
    );

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

/** What a failed single sign-on (`/sign-in?error=<code>`, from the server's callback) means, in words. */
const SSO_ERRORS: Record<string, string> = {
  email_not_verified: 'Your provider has not verified your e-mail address, so it cannot sign you in here.',
  domain_not_allowed: 'Accounts from your e-mail domain cannot be created here. Ask an administrator.',
  signup_closed: 'This Quarry does not create accounts on first sign-in. Ask an administrator to invite you.',
  account_not_linked: 'An account with your e-mail address exists, and your provider has not verified the address, so they were not joined.',
  banned_user: 'This account is banned. Ask an administrator.',
  access_denied: 'The sign-in was cancelled at the provider.',
};
function ssoErrorText(code: string) {
  if (/state/i.test(code)) return 'That sign-in link was used already, expired or was started elsewhere. Try again.';
  return SSO_ERRORS[code.toLowerCase()] ?? `Single sign-on failed (${code.slice(0, 60)}). Try again, or ask an administrator.`;
}

function SignInForm({
  signupOpen,
  sso,
  passwordSignIn,
}: {
  signupOpen: boolean;
  sso: { provider: string; displayName: string } | null;
  passwordSignIn: boolean;
}) {
  useTitle('Sign in');
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const ssoError = params.get('error');
  const next = params.get('next');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Staying on /sign-in: the signed-in routes send the user on to ?next= or their first workspace.
  const signIn = useSubmit(() => api.signIn({ email, password }), {
    onSuccess: () => enter(queryClient, navigate),
  });
  // The provider sends the browser back to Quarry's callback, which redirects to `next` (a local path only).
  const startSso = useSubmit(() => api.startSso(sso!.provider, next && /^\/(?![/\\])/.test(next) ? next : '/'), {
    onSuccess: (r) => {
      window.location.assign(r.url);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.submit();
  };
  const ssoBlock = sso ? (
    <div className="sso">
      {ssoError ? (
        <p className="error" role="alert">
          {ssoErrorText(ssoError)}
        </p>
      ) : null}
      <button type="button" className={passwordSignIn ? 'wide' : 'primary wide'} disabled={startSso.busy} onClick={() => startSso.submit()}>
        {startSso.busy ? 'Redirecting…' : `Sign in with ${sso.displayName}`}
      </button>
      <ErrorText error={startSso.error} />
      {passwordSignIn ? <p className="muted center small">or with your e-mail and password</p> : null}
    </div>
  ) : null;
  if (!passwordSignIn) {
    return (
      <div aria-labelledby="page-heading">
        <h1 id="page-heading">Sign in</h1>
        {ssoBlock}
      </div>
    );
  }
  return (
    <form onSubmit={submit} aria-labelledby="page-heading">
      <h1 id="page-heading">Sign in</h1>
      {ssoBlock}
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
      <PasswordField label="Password" purpose="current" value={password} onChange={setPassword} />
      <ErrorText error={signIn.error} />
      <RetryNotice error={signIn.error} />
      <button type="submit" className="primary wide" disabled={signIn.busy}>
        {signIn.busy ? 'Signing in…' : 'Sign in'}
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
  useTitle('Set up Quarry');
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
  useTitle('Sign up');
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

/** The accept page: who the link is for and what it joins come from the server, before any typing. */
function InvitationSignUp({ token }: { token: string }) {
  const lookup = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => api.invitationLookup(token),
    retry: false,
  });
  if (lookup.isPending) return <Spinner label="Checking the invitation…" />;
  if (lookup.isError) return <InvalidInvitation error={lookup.error} />;
  return <SignUpForm kind="invite" invitation={token} lookup={lookup.data} />;
}

function InvalidInvitation({ error }: { error: unknown }) {
  useTitle('Invitation');
  const gone = error instanceof ApiError && error.status === 404;
  return (
    <div>
      <h1 id="page-heading">This invitation cannot be used</h1>
      {gone ? (
        <p>It may have been used already, revoked, or it has expired. Ask an administrator for a new link.</p>
      ) : (
        <ErrorText error={error} />
      )}
      <p>
        <Link href="/sign-in">Sign in</Link>
      </p>
    </div>
  );
}

const article = (role: string) => (role === 'editor' || role === 'owner' ? `an ${role}` : `a ${role}`);

function SignUpForm({
  kind,
  invitation,
  lookup,
  adminEmail,
}: {
  kind: 'setup' | 'open' | 'invite';
  invitation?: string;
  lookup?: InvitationLookup;
  adminEmail?: boolean;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  // An invitation for one address fills it in, and it cannot be changed (the server would refuse another).
  const boundEmail = lookup?.email ?? undefined;
  const [email, setEmail] = useState(boundEmail ?? '');
  const [password, setPassword] = useState('');
  const [, navigate] = useLocation();
  const signUp = useSubmit(
    () => api.signUp({ name, email, password, ...(invitation ? { inviteToken: invitation } : {}) }),
    { onSuccess: () => enter(queryClient, navigate, lookup?.workspaceId ? `/w/${lookup.workspaceId}` : '/') },
  );
  const title =
    kind === 'setup' ? 'Set up Quarry' : kind === 'invite' ? 'Accept your invitation' : 'Create your account';
  useTitle(title);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        signUp.submit();
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
      {kind === 'invite' ? (
        <p className="muted">
          {lookup?.workspaceName && lookup.role
            ? `Create your account to join ${lookup.workspaceName} as ${article(lookup.role)}.`
            : 'Create your account to join this Quarry.'}
        </p>
      ) : null}
      <Field label="Name">
        {(id) => <input id={id} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Email" hint={boundEmail ? 'This invitation is for this address.' : undefined}>
        {(id, hint) => (
          <input
            id={id}
            type="email"
            autoComplete="email"
            required
            readOnly={boundEmail !== undefined}
            aria-describedby={hint}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <PasswordField label="Password" purpose="new" value={password} onChange={setPassword} />
      <ErrorText error={signUp.error} />
      <button type="submit" className="primary wide" disabled={signUp.busy}>
        {signUp.busy ? 'Creating account…' : kind === 'setup' ? 'Create administrator account' : 'Create account'}
      </button>
      {kind !== 'setup' ? (
        <p className="muted center">
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </p>
      ) : null}
    </form>
  );
}

/** An invitation or password link opened while signed in: say so instead of silently dropping it. */
export function SignedInInvitation({ me, purpose = 'invitation' }: { me: Me; purpose?: 'invitation' | 'password' }) {
  const queryClient = useQueryClient();
  const signOut = useMutation({
    mutationFn: api.signOut,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  return (
    <section className="narrow">
      <PageTitle>{purpose === 'password' ? 'Choose a password' : 'Invitation'}</PageTitle>
      <p>
        You are signed in as <strong>{me.user.email}</strong>.{' '}
        {purpose === 'password'
          ? 'This link sets the password of an account (perhaps another one): sign out first to use it.'
          : 'An invitation creates a new account: sign out first to use it.'}
      </p>
      <ErrorText error={signOut.error} />
      <div className="row-end">
        <Link href="/">Stay signed in</Link>
        <button type="button" className="primary" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          {purpose === 'password' ? 'Sign out and choose the password' : 'Sign out and use the invitation'}
        </button>
      </div>
    </section>
  );
}
