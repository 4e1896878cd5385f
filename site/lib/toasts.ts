/** A page-wide toast queue: islands hydrate separately but share this module, so any of them can raise one. */

export type Toast = { id: number; kind: 'error' | 'success'; message: string; requestId?: string | null };

type Listener = () => void;

let toasts: readonly Toast[] = [];
let nextId = 1;
const listeners = new Set<Listener>();

function emit(next: readonly Toast[]) {
  toasts = next;
  for (const listener of listeners) listener();
}

export const toastStore = {
  subscribe(listener: Listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  snapshot: () => toasts,
  /** Several islands failing for one cause (the API is down) raise one toast, not one each. */
  show(toast: Omit<Toast, 'id'>) {
    const same = toasts.find(
      (t) =>
        t.kind === toast.kind && t.message === toast.message && (t.requestId ?? null) === (toast.requestId ?? null),
    );
    if (same) return same.id;
    const id = nextId++;
    // A confirmation is out of date once anything newer is said: "saved" must not stand beside an error.
    emit([...toasts.filter((t) => t.kind !== 'success'), { ...toast, id }]);
    return id;
  },
  dismiss(id: number) {
    emit(toasts.filter((t) => t.id !== id));
  },
  clear() {
    emit([]);
  },
};
