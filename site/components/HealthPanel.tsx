import type { ReactNode } from 'react';
import { apiFor } from '../lib/session';
import type { SiteConfig } from '../lib/site-config';
import { ErrorState, Loading, Skeleton } from './StatusMessage';
import { useResource } from './use-resource';

/** One dependency's line in /readyz; "disabled" means not configured (e.g. no Redis), which is not a failure. */
type Check = { status: string; latency_ms?: number; reason?: string };

const LABELS: Record<string, { text: string; badge: string }> = {
  up: { text: 'Up', badge: 'badge badge-ok' },
  down: { text: 'Down', badge: 'badge badge-bad' },
  disabled: { text: 'Off', badge: 'badge' },
};

function detail(check: Check): string {
  if (check.status === 'up') return check.latency_ms === undefined ? '' : `${check.latency_ms} ms`;
  if (check.status === 'disabled') return 'Not configured';
  return check.reason ?? '';
}

function CheckRow({ name, check }: { name: string; check: Check }) {
  const label = LABELS[check.status] ?? { text: check.status, badge: 'badge' };
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>
        <span className={label.badge}>{label.text}</span>
      </td>
      <td>{detail(check)}</td>
    </tr>
  );
}

/** Rows held for the checks /readyz reports today (database, redis) while it answers. */
const EXPECTED_CHECKS = ['database', 'redis'];

/** The ready layout with placeholders in it: the badge, the table's rows and the vector line keep their size. */
function ReadinessPlaceholder() {
  return (
    <div aria-hidden="true">
      <p>
        <Skeleton width="4em" className="badge" />
      </p>
      <ChecksTable>
        {EXPECTED_CHECKS.map((name) => (
          <tr key={name}>
            <th scope="row">
              <Skeleton width="5em" />
            </th>
            <td>
              <Skeleton width="2.5em" className="badge" />
            </td>
            <td>
              <Skeleton width="3em" />
            </td>
          </tr>
        ))}
      </ChecksTable>
      <p>
        <Skeleton width="12em" />
      </p>
    </div>
  );
}

function ChecksTable({ children }: { children: ReactNode }) {
  return (
    <table className="checks">
      <caption className="visually-hidden">Dependency checks</caption>
      <thead>
        <tr>
          <th scope="col">Dependency</th>
          <th scope="col">Status</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** The API's readiness: each dependency it needs, and whether it can serve. */
export default function HealthPanel({ config }: { config: SiteConfig }) {
  const { state, reload } = useResource(apiFor(config).readiness);
  return (
    <section className="card" aria-labelledby="health-heading">
      <div className="card-head">
        <h2 id="health-heading">API health</h2>
        <button type="button" className="secondary" onClick={reload} disabled={state.status === 'loading'}>
          Refresh
        </button>
      </div>
      {state.status === 'loading' ? (
        <>
          <Loading label="Checking the API…" />
          <ReadinessPlaceholder />
        </>
      ) : null}
      {state.status === 'error' ? (
        <ErrorState
          title={state.error.status === 0 ? 'The API is unreachable.' : 'The API could not report its health.'}
          error={state.error}
        />
      ) : null}
      {state.status === 'ready' ? (
        <>
          <p data-testid="readiness">
            <span className={state.data.status === 'ready' ? 'badge badge-ok' : 'badge badge-bad'}>
              {state.data.status === 'ready' ? 'Ready' : 'Unavailable'}
            </span>
          </p>
          <ChecksTable>
            {Object.entries(state.data.checks).map(([name, check]) => (
              <CheckRow key={name} name={name} check={check} />
            ))}
          </ChecksTable>
          <p className="muted">Vector search: {state.data.features.vector}</p>
        </>
      ) : null}
    </section>
  );
}
