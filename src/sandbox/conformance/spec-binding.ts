/**
 * What binds the sandbox-reuse cores to spec/sandbox-reuse/SandboxReuse.tla for conformance
 * checks: the spec's variables, every action of Next with its parameters quantified as in
 * Next (for trace validation), and the constants of the trace validation module.
 *
 * The trace constants are wider than Replay.cfg's (a trace is one behaviour, so TLC explores
 * only the trace): 2 worker managers with 2 slots, 3 requests, 2 versions, 2 tenants; they must
 * admit every run `traces.ts` generates, which uses `traceClusterConfig()` (the same values).
 *
 * Two modes, two bindings: single-use (SingleUse = TRUE, Replay.cfg) and warm (SingleUse =
 * FALSE, ReplayWarm.cfg). Release is enabled only in warm mode and Reset only in single-use
 * mode (nothing else enters Releasing / Resetting), so each mode's action set leaves the other
 * out: coverage is judged on the actions the mode can take.
 */
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../index.ts';

export const SPEC_PATH =
  fileURLToPath(new URL('../../../spec/sandbox-reuse/SandboxReuse.tla', import.meta.url));
export const REPLAY_CONFIG_PATH =
  fileURLToPath(new URL('../../../spec/sandbox-reuse/Replay.cfg', import.meta.url));
export const REPLAY_WARM_CONFIG_PATH =
  fileURLToPath(new URL('../../../spec/sandbox-reuse/ReplayWarm.cfg', import.meta.url));

/** The spec's variables, in the order of its VARIABLES declaration. */
export const SPEC_VARIABLES = [
  'sbState', 'sbKind', 'sbReq', 'used', 'rState', 'kind', 'asked', 'probes', 'sb', 'tries',
  'redrives', 'store', 'creds', 'limit', 'inflight', 'completions',
] as const;

/** Every action of the spec's Next, with its parameters quantified as in Next. */
export const SPEC_ACTIONS = {
  Accept: '\\E r \\in Requests, k \\in Kinds : Accept(r, k)',
  Sticky: '\\E r \\in Requests, s \\in Slots : Sticky(r, s)',
  Probe: '\\E r \\in Requests, w \\in Workers : Probe(r, w)',
  Provision: '\\E r \\in Requests, w \\in Workers : Provision(r, w)',
  Throttle: '\\E r \\in Requests : Throttle(r)',
  Ready: '\\E s \\in Slots : Ready(s)',
  Start: '\\E r \\in Requests : Start(r)',
  Complete: '\\E r \\in Requests : Complete(r)',
  Fail: '\\E r \\in Requests : Fail(r)',
  Timeout: '\\E r \\in Requests : Timeout(r)',
  Redrive: '\\E r \\in Requests : Redrive(r)',
  Release: '\\E s \\in Slots : Release(s)',
  Reset: '\\E s \\in Slots : Reset(s)',
  Reclaim: '\\E s \\in Slots : Reclaim(s)',
  AdjustLimit: '\\E t \\in Tenants, n \\in LimitFloor..LimitMax : AdjustLimit(t, n)',
} as const satisfies Record<string, string>;

export type SpecActionName = keyof typeof SPEC_ACTIONS;
export const SPEC_ACTION_NAMES = Object.keys(SPEC_ACTIONS) as SpecActionName[];

/** The actions of Next a mode can take (Release: warm only; Reset: single-use only). */
export function modeActions(singleUse: boolean): Partial<Record<SpecActionName, string>> {
  const { Release, Reset, ...rest } = SPEC_ACTIONS;
  return singleUse ? { ...rest, Reset } : { ...rest, Release };
}

/** A fixed MAC key for simulated runs (the simulator is no place for secrets). */
export const SIM_KEY = new Uint8Array(32).map((_, i) => (i * 13 + 5) & 0xff);

/** The cluster of the simulator runs whose traces TLC validates (= `TRACE_CONSTANTS`). */
export function traceClusterConfig(): ClusterConfig {
  return {
    workers: ['w1', 'w2'], capacity: 2, requests: ['r1', 'r2', 'r3'], fn: 'f',
    versions: [1, 2], tenants: ['ta', 'tb'], maxProbes: 1, maxRetries: 1, maxRedrives: 1,
    singleUse: true, limitFloor: 1, limitMax: 3, key: SIM_KEY, scope: 'invoke',
    timeoutMs: 60,
  };
}

function setOf(xs: readonly (string | number)[]): string {
  return `{${xs.join(', ')}}`;
}

/** The CONSTANTS block of a cluster configuration (the trace validation module's). */
export function constantsOf(c: ClusterConfig): string {
  return `CONSTANTS
  Workers = ${setOf(c.workers)}
  Capacity = ${c.capacity}
  Requests = ${setOf(c.requests)}
  Fn = ${c.fn}
  Versions = ${setOf(c.versions)}
  Tenants = ${setOf(c.tenants)}
  MaxProbes = ${c.maxProbes}
  MaxRetries = ${c.maxRetries}
  MaxRedrives = ${c.maxRedrives}
  SingleUse = ${c.singleUse ? 'TRUE' : 'FALSE'}
  LimitFloor = ${c.limitFloor}
  LimitMax = ${c.limitMax}
  None = None`;
}

export const TRACE_CONSTANTS = constantsOf(traceClusterConfig());

/** The warm-mode trace cluster: `traceClusterConfig()` with SingleUse = FALSE. */
export function warmTraceClusterConfig(): ClusterConfig {
  return { ...traceClusterConfig(), singleUse: false };
}
export const WARM_TRACE_CONSTANTS = constantsOf(warmTraceClusterConfig());
