/**
 * Routes and the session gate: signed-out visitors see the auth screens (or the
 * first-run admin setup); signed-in users get the workspace shell.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Route, Switch, useLocation, useSearch } from 'wouter';
import { ErrorText, Navigate, Spinner } from './components/common.js';
import { AccountScreen } from './screens/account.js';
import { AdminScreen } from './screens/admin.js';
import { authStatusQuery, meQuery } from './api/queries.js';
import { NotFoundScreen } from './components/not-found.js';
import { AuthScreen, SignedInInvitation } from './screens/auth.js';
import { Layout } from './screens/layout.js';
import { NewWorkspaceScreen } from './screens/new-workspace.js';
import { WorkspaceRoutes } from './workspace/routes.js';

export function useMe() {
  const queryClient = useQueryClient();
  // Signed-out visitors need the setup state next; ask for it alongside /api/me, not after.
  useEffect(() => {
    void queryClient.prefetchQuery(authStatusQuery);
  }, [queryClient]);
  return useQuery(meQuery);
}

/** Where to go after signing in: a same-site path only (never `//host` or a full URL). */
function nextPath(search: string): string {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function App() {
  const me = useMe();
  const [location] = useLocation();
  const search = useSearch();

  if (me.isPending) return <Spinner label="Loading Quarry…" />;
  if (me.isError)
    return (
      <main className="auth-page">
        <h1>Quarry</h1>
        <ErrorText error={me.error} />
        <button type="button" onClick={() => void me.refetch()}>
          Try again
        </button>
      </main>
    );

  if (!me.data) {
    const publicPaths = ['/sign-in', '/sign-up', '/signup', '/setup', '/reset-password'];
    if (!publicPaths.includes(location) && !location.startsWith('/invite/')) {
      // The query string goes along: a deep link to a search keeps its ?q= across sign-in.
      const target = search ? `${location}?${search}` : location;
      const next = location !== '/' ? `?next=${encodeURIComponent(target)}` : '';
      return <Navigate to={`/sign-in${next}`} />;
    }
    return <AuthScreen />;
  }

  const user = me.data.user;
  const first = me.data.workspaces[0];
  return (
    <Layout me={me.data}>
      <Switch>
        <Route path="/">{first ? <Navigate to={`/w/${first.id}`} /> : <NewWorkspaceScreen firstOne />}</Route>
        <Route path="/sign-in">
          <Navigate to={nextPath(search)} />
        </Route>
        <Route path="/setup">
          <Navigate to="/" />
        </Route>
        <Route path="/sign-up">
          <SignedInInvitation me={me.data} />
        </Route>
        <Route path="/signup">
          <SignedInInvitation me={me.data} />
        </Route>
        <Route path="/reset-password">
          <SignedInInvitation me={me.data} purpose="password" />
        </Route>
        <Route path="/invite/:token">
          <SignedInInvitation me={me.data} />
        </Route>
        <Route path="/workspaces/new">
          <NewWorkspaceScreen />
        </Route>
        <Route path="/w/:ws/*?">{(params) => <WorkspaceRoutes ws={params.ws} me={me.data!} />}</Route>
        <Route path="/account">
          <AccountScreen me={me.data} />
        </Route>
        <Route path="/admin">{user.role === 'admin' ? <AdminScreen me={me.data} /> : <NotFoundScreen />}</Route>
        <Route>
          <NotFoundScreen />
        </Route>
      </Switch>
    </Layout>
  );
}
