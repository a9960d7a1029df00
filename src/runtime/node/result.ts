/**
 * Errors as values for the node driver: every failure the outside world can cause (a bad frame,
 * a dead peer, a torn file, a refused device) is a `{ code, message }` value, never a throw.
 * Exceptions are kept for bugs (failed assertions).
 */

export type Ok<T> = { ok: true; value: T };
export type Err<E> = { ok: false; error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}

/** A one-line description of an unknown thrown value (for wrapping OS errors as values). */
export function describeError(thrown: unknown): string {
  if (thrown instanceof Error) {
    const code = (thrown as NodeJS.ErrnoException).code;
    return code === undefined ? thrown.message : `${code}: ${thrown.message}`;
  }
  return String(thrown);
}

/** Fail loudly on a broken internal invariant (a bug, not an input error). */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
