import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../lib/api';
import { toastStore } from '../lib/toasts';

export type Resource<T> = { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; data: T };

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'client_error', String(error), null, null);
}

/** Toasts a failure unless it is the signed-out case, which redirects to sign-in instead. */
export function reportError(error: ApiError) {
  if (error.status !== 401) toastStore.show({ kind: 'error', message: error.message, requestId: error.requestId });
}

/** Loads once on mount and on `reload()`; failures become an error state and a toast. */
export function useResource<T>(load: () => Promise<T>) {
  const [state, setState] = useState<Resource<T>>({ status: 'loading' });
  const loadRef = useRef(load);
  loadRef.current = load;
  // Only the latest load may settle the state: a slow earlier answer must not overwrite a newer one.
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState({ status: 'loading' });
    try {
      const data = await loadRef.current();
      if (mine === generation.current) setState({ status: 'ready', data });
    } catch (cause) {
      const error = asApiError(cause);
      if (mine !== generation.current) return;
      setState({ status: 'error', error });
      reportError(error);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { state, setState, reload };
}
