import type { ApiError } from '../lib/api';

export function Loading({ label }: { label: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

/** A failure in place of the content: what went wrong, the id to report, and a way to try again. */
export function ErrorState({ title, error, onRetry }: { title: string; error: ApiError; onRetry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <p>
        <strong>{title}</strong> {error.message}
      </p>
      {error.requestId ? <RequestId id={error.requestId} /> : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function RequestId({ id }: { id: string }) {
  return (
    <p className="request-id">
      Request ID: <code>{id}</code>
    </p>
  );
}
