/**
 * Carried tracing data (US10649749B1, US20200341741A1): tracing and profile data gathered
 * while a function runs in one short-lived instance is kept by the HOST, per function, and
 * handed to the next instance of the same function. It is host state, so a restore of the
 * instance never rolls it back. Bounded: at most maxSamples samples per function (the
 * newest are kept) and maxFunctions functions.
 */
export interface TraceSample {
  /** Name of a hot path, call site or branch. */
  readonly site: string;
  readonly count: number;
}
export interface FunctionTrace {
  /** Samples recorded so far (saturates at maxSamples). */
  readonly samples: number;
  /** site -> accumulated count. */
  readonly profile: Readonly<Record<string, number>>;
}
export interface TracingStore {
  readonly maxSamples: number;
  readonly maxFunctions: number;
  readonly byFunction: Readonly<Record<string, FunctionTrace>>;
}

export const EMPTY_TRACE: FunctionTrace = Object.freeze({ samples: 0, profile: {} });

export function initTracingStore(maxSamples = 1024, maxFunctions = 1024): TracingStore {
  if (maxSamples < 0 || maxFunctions < 1) throw new Error('assertion: tracing bounds');
  return { maxSamples, maxFunctions, byFunction: {} };
}

/** Records a finished execution's tracing data for its function; error value when full. */
export function recordTrace(
  store: TracingStore, fn: string, sample: TraceSample,
): { ok: true; store: TracingStore } | { ok: false; code: 'TOO_MANY_FUNCTIONS'; message: string } {
  const cur = store.byFunction[fn];
  if (cur === undefined && Object.keys(store.byFunction).length >= store.maxFunctions) {
    return { ok: false, code: 'TOO_MANY_FUNCTIONS', message: `${store.maxFunctions} tracked` };
  }
  const base = cur ?? EMPTY_TRACE;
  if (base.samples >= store.maxSamples) return { ok: true, store };
  const next: FunctionTrace = {
    samples: base.samples + 1,
    profile: { ...base.profile, [sample.site]: (base.profile[sample.site] ?? 0) + sample.count },
  };
  return { ok: true, store: { ...store, byFunction: { ...store.byFunction, [fn]: next } } };
}

/** What the next instance of `fn` starts with. */
export function carryTo(store: TracingStore, fn: string): FunctionTrace {
  return store.byFunction[fn] ?? EMPTY_TRACE;
}
