/** The signed-in frame: skip link, header with the workspace switcher, section nav and the account menu. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from '../api/client.js';
import type { Me } from '../api/contract.js';
import { ErrorText } from '../components/common.js';

export function currentWorkspaceId(location: string): string | undefined {
  return /^\/w\/([^/]+)/.exec(location)?.[1];
}

export function Layout({ me, children }: { me: Me; children: ReactNode }) {
  const [location, navigate] = useLocation();
  const queryClient = useQueryClient();
  const ws = currentWorkspaceId(location);
  const signOut = useMutation({
    mutationFn: api.signOut,
    onSuccess: () => {
      queryClient.clear();
      navigate('/sign-in', { replace: true });
    },
  });
  const inWorkspace = ws && me.workspaces.some((w) => w.id === ws);
  const section = ws ? location.slice(`/w/${ws}`.length) : '';
  const navItem = (href: string, label: string, active: boolean) => (
    <Link href={href} className={active ? 'active' : ''} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <Link href="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              Q
            </span>
            <span className="brand-name">Quarry</span>
          </Link>
          <div className="switcher">
            <label htmlFor="workspace-switcher" className="visually-hidden">
              Workspace
            </label>
            <select
              id="workspace-switcher"
              value={inWorkspace ? ws : ''}
              onChange={(e) => {
                if (e.target.value === '__new') navigate('/workspaces/new');
                else if (e.target.value) navigate(`/w/${e.target.value}`);
              }}
            >
              {!inWorkspace ? <option value="">Choose a workspace…</option> : null}
              {me.workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
              <option value="__new">+ New workspace…</option>
            </select>
          </div>
          <nav className="account-nav" aria-label="Account">
            {me.user.role === 'admin' ? navItem('/admin', 'Admin', location.startsWith('/admin')) : null}
            {navItem('/account', 'Account', location.startsWith('/account'))}
            <button type="button" className="link-button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
              Sign out
            </button>
          </nav>
        </div>
        {inWorkspace ? (
          <nav className="section-nav" aria-label="Workspace sections">
            {navItem(`/w/${ws}`, 'Documents', section === '' || section.startsWith('/documents'))}
            {navItem(`/w/${ws}/search`, 'Search', section.startsWith('/search'))}
            {navItem(`/w/${ws}/ask`, 'Ask', section.startsWith('/ask'))}
            {navItem(`/w/${ws}/settings`, 'Settings', section.startsWith('/settings'))}
          </nav>
        ) : null}
        <ErrorText error={signOut.error} />
      </header>
      <main id="main" className="content">
        {children}
      </main>
    </>
  );
}
