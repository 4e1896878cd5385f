import { Fragment, type ReactNode, useState } from 'react';
import type { Me } from '../lib/api';
import { apiFor } from '../lib/session';
import type { SiteConfig } from '../lib/site-config';
import { ErrorState, Loading, Skeleton } from './StatusMessage';
import { trialSummary } from './trial';
import { asApiError, reportError, useResource } from './use-resource';

type Fact = { label: string; value: (me: Me) => ReactNode; placeholder: ReactNode };

/** The account card's rows; while loading, each label stands beside a placeholder the size of its value. */
const FACTS: Fact[] = [
  {
    label: 'Name',
    value: (me) => me.user.name || <span className="muted">Not set</span>,
    placeholder: <Skeleton width="7em" />,
  },
  { label: 'Email', value: (me) => me.user.email, placeholder: <Skeleton width="10em" /> },
  { label: 'Role', value: (me) => me.user.role, placeholder: <Skeleton width="4em" /> },
  {
    label: 'Workspace',
    value: (me) => <span data-testid="tenant-name">{me.tenant.name}</span>,
    placeholder: <Skeleton width="8em" />,
  },
  {
    label: 'Plan',
    value: (me) => (
      <>
        {me.tenant.plan} <span className="muted">({me.tenant.status})</span>
      </>
    ),
    placeholder: <Skeleton width="6em" />,
  },
  {
    label: 'Trial',
    value: (me) => (
      <span className={me.tenant.trial.active ? 'badge badge-ok' : 'badge'} data-testid="trial">
        {trialSummary(me.tenant)}
      </span>
    ),
    placeholder: <Skeleton width="8em" className="badge" />,
  },
];

/** The signed-in user and their tenant, with the trial's state. */
export default function AccountPanel({ config }: { config: SiteConfig }) {
  const api = apiFor(config);
  const { state, reload } = useResource(api.me);
  const [signingOut, setSigningOut] = useState(false);
  const me = state.status === 'ready' ? state.data : null;

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
      {state.status === 'error' ? (
        <ErrorState title="Could not load your account." error={state.error} onRetry={reload} />
      ) : (
        <>
          {me ? null : <Loading label="Loading your account…" />}
          <dl className="facts" data-testid="account" aria-hidden={me ? undefined : true}>
            {FACTS.map(({ label, value, placeholder }) => (
              <Fragment key={label}>
                <dt>{label}</dt>
                <dd>{me ? value(me) : placeholder}</dd>
              </Fragment>
            ))}
          </dl>
          {/* Signing out needs no account data: it is offered while the account loads too. */}
          <button type="button" className="secondary" onClick={signOut} disabled={signingOut}>
            Sign out
          </button>
        </>
      )}
    </section>
  );
}
