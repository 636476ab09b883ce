/** Loading state for one request, with `reload()`; a late answer to an older request is dropped. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface DataState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, error instanceof Error ? error.message : String(error), 'client');
}

export function useData<T>(load: () => Promise<T>, deps: readonly unknown[]): DataState<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (mine === seq.current) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (mine === seq.current) setState((s) => ({ ...s, error: asApiError(error), loading: false }));
      },
    );
  }, []);

  // The caller's deps decide when to load again.
  useEffect(() => {
    reload();
  }, deps);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
