/**
 * Routes and the session gate: signed-out visitors see the auth screens (or the
 * first-run admin setup); signed-in users get the workspace shell.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { ApiError, api } from './api/client.js';
import { ErrorText, Spinner } from './components/common.js';
import { AccountScreen } from './screens/account.js';
import { AdminScreen } from './screens/admin.js';
import { AuthScreen, SignedInInvitation, authStatusQuery } from './screens/auth.js';
import { Layout } from './screens/layout.js';
import { NewWorkspaceScreen, NotFoundScreen, WorkspaceRoutes } from './screens/workspace.js';

export function useMe() {
  const queryClient = useQueryClient();
  // Signed-out visitors need the setup state next; ask for it alongside /api/me, not after.
  useEffect(() => {
    void queryClient.prefetchQuery(authStatusQuery);
  }, [queryClient]);
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await api.me();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
  });
}

export function App() {
  const me = useMe();
  const [location] = useLocation();

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
    const publicPaths = ['/sign-in', '/sign-up', '/signup', '/setup'];
    if (!publicPaths.includes(location) && !location.startsWith('/invite/')) {
      const next = location !== '/' ? `?next=${encodeURIComponent(location)}` : '';
      return <Redirect to={`/sign-in${next}`} replace />;
    }
    return <AuthScreen />;
  }

  const user = me.data.user;
  const first = me.data.workspaces[0];
  return (
    <Layout me={me.data}>
      <Switch>
        <Route path="/">{first ? <Redirect to={`/w/${first.id}`} replace /> : <NewWorkspaceScreen firstOne />}</Route>
        <Route path="/sign-in">
          <Redirect to={new URLSearchParams(window.location.search).get('next') ?? '/'} replace />
        </Route>
        <Route path="/setup">
          <Redirect to="/" replace />
        </Route>
        <Route path="/sign-up">
          <SignedInInvitation me={me.data} />
        </Route>
        <Route path="/signup">
          <SignedInInvitation me={me.data} />
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
