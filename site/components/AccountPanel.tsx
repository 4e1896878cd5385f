import { useState } from 'react';
import { apiFor } from '../lib/session';
import type { SiteConfig } from '../lib/site-config';
import { ErrorState, Loading } from './StatusMessage';
import { trialSummary } from './trial';
import { asApiError, reportError, useResource } from './use-resource';

/** The signed-in user and their tenant, with the trial's state. */
export default function AccountPanel({ config }: { config: SiteConfig }) {
  const api = apiFor(config);
  const { state, reload } = useResource(api.me);
  const [signingOut, setSigningOut] = useState(false);

  async function signOut() {
    setSigningOut(true);
    try {
      await api.signOut();
    } catch (error) {
      reportError(asApiError(error));
      setSigningOut(false);
    }
  }

  return (
    <section className="card" aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      {state.status === 'loading' ? <Loading label="Loading your account…" /> : null}
      {state.status === 'error' ? (
        <ErrorState title="Could not load your account." error={state.error} onRetry={reload} />
      ) : null}
      {state.status === 'ready' ? (
        <>
          <dl className="facts" data-testid="account">
            <dt>Name</dt>
            <dd>{state.data.user.name || <span className="muted">Not set</span>}</dd>
            <dt>Email</dt>
            <dd>{state.data.user.email}</dd>
            <dt>Role</dt>
            <dd>{state.data.user.role}</dd>
            <dt>Workspace</dt>
            <dd data-testid="tenant-name">{state.data.tenant.name}</dd>
            <dt>Plan</dt>
            <dd>
              {state.data.tenant.plan} <span className="muted">({state.data.tenant.status})</span>
            </dd>
            <dt>Trial</dt>
            <dd>
              <span className={state.data.tenant.trial.active ? 'badge badge-ok' : 'badge'} data-testid="trial">
                {trialSummary(state.data.tenant)}
              </span>
            </dd>
          </dl>
          <button type="button" className="secondary" onClick={signOut} disabled={signingOut}>
            Sign out
          </button>
        </>
      ) : null}
    </section>
  );
}
