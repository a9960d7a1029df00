/**
 * The failure store (US09652306B1): requests that failed after their retries are kept with
 * their error, in arrival order, bounded; an operator re-drives one, which removes it (the
 * frontend admits it again). A request is in the store at most once.
 */
import type { Kind } from './messages.ts';

export interface StoredFailure {
  readonly request: string;
  readonly kind: Kind;
  readonly error: string;
  readonly attempts: number;
}
export interface FailureStoreState {
  readonly maxEntries: number;
  readonly entries: readonly StoredFailure[];
}
export interface FailureStoreError {
  readonly code: 'store-full' | 'already-stored' | 'not-stored';
  readonly message: string;
}
export type StoreResult<T> = { ok: true; state: FailureStoreState; value: T } |
  { ok: false; error: FailureStoreError };

export function initFailureStore(maxEntries: number): FailureStoreState {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new Error(`assertion: maxEntries must be positive, got ${maxEntries}`);
  }
  return { maxEntries, entries: [] };
}

export const isStored = (s: FailureStoreState, request: string): boolean =>
  s.entries.some((e) => e.request === request);

export function storeFailure(s: FailureStoreState, f: StoredFailure): StoreResult<null> {
  if (isStored(s, f.request)) {
    return { ok: false, error: { code: 'already-stored', message: `${f.request} already stored` } };
  }
  if (s.entries.length >= s.maxEntries) {
    return { ok: false, error: { code: 'store-full', message: 'failure store full' } };
  }
  return { ok: true, state: { ...s, entries: [...s.entries, f] }, value: null };
}

/** Takes `request` out of the store to re-drive it. */
export function redrive(s: FailureStoreState, request: string): StoreResult<StoredFailure> {
  const e = s.entries.find((x) => x.request === request);
  if (e === undefined) {
    return { ok: false, error: { code: 'not-stored', message: `${request} is not stored` } };
  }
  return { ok: true, state: { ...s, entries: s.entries.filter((x) => x !== e) }, value: e };
}
