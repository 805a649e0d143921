/** The not-found page (also what a non-member sees of a workspace or document). */
import { Link } from 'wouter';
import { PageTitle } from './common.js';

export function NotFoundScreen({ what = 'page' }: { what?: string }) {
  return (
    <section className="narrow">
      <PageTitle>Not found</PageTitle>
      <div className="card">
        <p>This {what} does not exist, or you do not have access to it.</p>
        <p>
          <Link href="/">Go to your workspaces</Link>
        </p>
      </div>
    </section>
  );
}
