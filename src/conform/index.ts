/**
 * `plumbline conform`: the two checks that bind an implementation to its spec, per protocol.
 *  1. Trace validation: simulator runs (random schedules and faults, seeded) record
 *     `(action, specState)` at every step; TLC decides whether each trace is a behaviour of the
 *     spec (all traces of a batch in one JVM).
 *  2. State-graph replay: TLC dumps the reachable graph of the protocol's replay config; paths
 *     covering every edge drive the implementation, comparing `specState` at every step.
 * Each protocol provides a driver (`ConformDriver`); this module runs them and judges.
 */
import { z } from 'zod';
import type { ProtocolName } from '../protocols.ts';

export const TraceRejectionSchema = z.object({
  trace: z.number().int(),
  seed: z.number().int(),
  firstRejectedStep: z.number().int(),
  action: z.string().optional(),
  detail: z.string().optional(),
});

export const ReplayMismatchSchema = z.object({
  path: z.number().int(),
  step: z.number().int(),
  action: z.string(),
  detail: z.string(),
});

export const ConformResultSchema = z.object({
  protocol: z.string(),
  spec: z.string(),
  seed: z.number().int(),
  traces: z.object({
    run: z.number().int(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    steps: z.number().int(),
    actionsSeen: z.array(z.string()),
    rejections: z.array(TraceRejectionSchema),
    tlcSeconds: z.number(),
  }),
  replay: z.object({
    config: z.string(),
    actionsTotal: z.number().int(),
    actionsCovered: z.number().int(),
    actionsUncovered: z.array(z.string()),
    edgesTotal: z.number().int(),
    edgesCovered: z.number().int(),
    edgeCoverage: z.number(),
    paths: z.number().int(),
    mismatches: z.array(ReplayMismatchSchema),
  }),
  seconds: z.number(),
  ok: z.boolean(),
  reasons: z.array(z.string()),
});
export type ConformResult = z.infer<typeof ConformResultSchema>;

export const ConformReportSchema = z.object({
  ok: z.boolean(),
  results: z.array(ConformResultSchema),
  errors: z.array(z.object({ protocol: z.string(), code: z.string(), message: z.string() })),
});
export type ConformReport = z.infer<typeof ConformReportSchema>;

export type ConformEvent =
  | { type: 'phase'; protocol: string; phase: 'traces' | 'validate' | 'dump' | 'replay' }
  | { type: 'runs'; protocol: string; done: number; total: number }
  | { type: 'done'; result: ConformResult };

export interface ConformOptions {
  runs: number;
  seed: number;
  /** Write every simulator trace as ITF JSON into this folder (`<protocol>-seed-<S>.itf.json`). */
  itfDir?: string;
  onEvent?: (e: ConformEvent) => void;
}

export interface ConformDriver {
  protocol: ProtocolName;
  /** One result per spec the protocol binds (fencing: one; consensus-txn: two). */
  run(opts: ConformOptions): Promise<ConformResult[]>;
}

/** Lazily loads each protocol's driver so `conform fencing` loads nothing else. */
const DRIVERS: Record<ProtocolName, () => Promise<ConformDriver>> = {
  fencing: async () => (await import('../fencing/conformance/index.ts')).fencingConformance,
  'consensus-txn': async () =>
    (await import('../consensus/conformance/index.ts')).consensusTxnConformance,
  'sandbox-reuse': async () =>
    (await import('../sandbox/conformance/index.ts')).sandboxReuseConformance,
  'snapshot-gc': async () =>
    (await import('../snapshot/conformance/index.ts')).snapshotGcConformance,
};

export async function runConform(protocols: ProtocolName[], opts: ConformOptions):
  Promise<ConformReport> {
  const results: ConformResult[] = [];
  const errors: ConformReport['errors'] = [];
  for (const protocol of protocols) {
    try {
      const load = DRIVERS[protocol];
      if (load === undefined) {
        errors.push({ protocol, code: 'no-driver', message: `${protocol} has no conformance driver yet` });
        continue;
      }
      const driver = await load();
      for (const result of await driver.run(opts)) {
        opts.onEvent?.({ type: 'done', result });
        results.push(result);
      }
    } catch (e) {
      errors.push({ protocol, code: 'driver-failed', message: (e as Error).stack ?? String(e) });
    }
  }
  return { ok: errors.length === 0 && results.length > 0 && results.every((r) => r.ok), results, errors };
}

export {
  EDGE_COVERAGE_MIN, cfgReader, judge, parseCfgConstants, rejectionsOf, replayBinding,
  runConformance, traceValidationSpecOf, validateBindingTraces, writeTracesAsItf,
} from './kit.ts';
export type {
  ConformBinding, GeneratedTrace, ReplayResult, SpecBinding, TraceRunResult,
} from './kit.ts';
export { replayPaths, stateKey } from './graph-replay.ts';
export { replayPathsFromEveryInit } from './multi-init.ts';
export type {
  GraphReplayOptions, GraphReplayResult, ReplayMismatch, ReplayTarget,
} from './graph-replay.ts';
