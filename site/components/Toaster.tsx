import { type RefObject, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { type Toast, toastStore } from '../lib/toasts';
import { RequestId } from './StatusMessage';

/** Only confirmations go away by themselves: an error stays until dismissed, so its request id can be copied. */
export const DISMISS_AFTER_MS = 10_000;

function ToastItem({ toast, region }: { toast: Toast; region: RefObject<HTMLElement | null> }) {
  const item = useRef<HTMLLIElement>(null);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const expires = toast.kind !== 'error' && !hovered && !focused;

  // The countdown restarts in full once the pointer and focus have left (WCAG 2.2.1).
  useEffect(() => {
    if (!expires) return;
    const timer = setTimeout(() => toastStore.dismiss(toast.id), DISMISS_AFTER_MS);
    return () => clearTimeout(timer);
  }, [toast.id, expires]);

  // Runs before React removes the item: if focus is in it, hand focus on rather than let it fall to <body>.
  useLayoutEffect(() => {
    const node = item.current;
    return () => {
      if (!node?.contains(document.activeElement)) return;
      const next =
        node.nextElementSibling?.querySelector('button') ?? node.previousElementSibling?.querySelector('button');
      (next ?? region.current)?.focus();
    };
  }, [region]);

  return (
    <li
      ref={item}
      className={`toast toast-${toast.kind}`}
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => setFocused(e.currentTarget.contains(e.relatedTarget))}
    >
      <p>{toast.message}</p>
      {toast.requestId ? <RequestId id={toast.requestId} /> : null}
      <button type="button" className="secondary" onClick={() => toastStore.dismiss(toast.id)}>
        Dismiss
      </button>
    </li>
  );
}

// What the server rendered: no toasts. Hydrating with the live list instead would mismatch (React #418)
// whenever another island raised a toast before this one hydrated; React renders the live list right after.
const NONE_YET: ReturnType<typeof toastStore.snapshot> = [];

/** Announces what the islands report; errors carry the API's request id so a person can quote it. */
export default function Toaster() {
  const toasts = useSyncExternalStore(toastStore.subscribe, toastStore.snapshot, () => NONE_YET);
  const region = useRef<HTMLElement>(null);
  return (
    <section ref={region} className="toasts" aria-label="Notifications" aria-live="polite" tabIndex={-1}>
      <ul>
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} region={region} />
        ))}
      </ul>
    </section>
  );
}
