import type { ApiError } from '../lib/api';

/** Tells assistive tech that a panel is loading; sighted users see the panel's placeholders instead. */
export function Loading({ label }: { label: string }) {
  return (
    <p className="visually-hidden" role="status" aria-live="polite">
      {label}
    </p>
  );
}

/**
 * The widths a placeholder can take. global.css sizes each one (`.skeleton[data-width="…"]`): a width in
 * a `style` attribute would be refused by the site's Content-Security-Policy (styles only by hash).
 */
export const SKELETON_WIDTHS = ['2.5em', '3em', '4em', '5em', '6em', '7em', '8em', '10em', '12em', '17em'] as const;
export type SkeletonWidth = (typeof SKELETON_WIDTHS)[number];

/**
 * A grey bar where text is on its way. Its no-break space gives it the height of a line of the
 * surrounding text (or of a badge, with `className="badge"`), so the text takes its place without a shift.
 */
export function Skeleton({ width, className }: { width: SkeletonWidth; className?: string }) {
  return (
    <span className={className ? `skeleton ${className}` : 'skeleton'} data-width={width} aria-hidden="true">
      {'\u00a0'}
    </span>
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
