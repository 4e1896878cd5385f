import { useEffect, useSyncExternalStore } from 'react';
import { type Toast, toastStore } from '../lib/toasts';
import { RequestId } from './StatusMessage';

const DISMISS_AFTER_MS = 10_000;

function ToastItem({ toast }: { toast: Toast }) {
  useEffect(() => {
    const timer = setTimeout(() => toastStore.dismiss(toast.id), DISMISS_AFTER_MS);
    return () => clearTimeout(timer);
  }, [toast.id]);
  return (
    <li className={`toast toast-${toast.kind}`}>
      <p>{toast.message}</p>
      {toast.requestId ? <RequestId id={toast.requestId} /> : null}
      <button type="button" className="secondary" onClick={() => toastStore.dismiss(toast.id)}>
        Dismiss
      </button>
    </li>
  );
}

/** Announces what the islands report; errors carry the API's request id so a person can quote it. */
export default function Toaster() {
  const toasts = useSyncExternalStore(toastStore.subscribe, toastStore.snapshot, toastStore.snapshot);
  return (
    <section className="toasts" aria-label="Notifications" aria-live="polite">
      <ul>
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} />
        ))}
      </ul>
    </section>
  );
}
