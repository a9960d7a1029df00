/**
 * Shared pieces of the snapshot-gc model-based tests: the six bugs of the sheet injected from
 * the test side through `ClusterSteps` (the cores stay correct), fast-check arbitraries of
 * inputs and fault plans for simulator properties, and the sim options factory.
 */
import fc from 'fast-check';
import { faultPlanArb } from '../../src/runtime/sim/index.ts';
import type { FaultPlan, InputEntry } from '../../src/runtime/sim/index.ts';
import type { ClusterSteps } from '../../src/snapshot/index.ts';
import { BUGS } from '../../test/snapshot/helpers.ts';
import {
  HOST, SNAP_NODES, TRACE_CONFIG, TRACE_NETWORK, TXR, snapRun,
} from '../../src/snapshot/conformance/index.ts';
import type { SnapInput, SnapRun } from '../../src/snapshot/conformance/index.ts';

export const CONFIG = TRACE_CONFIG;
export const HORIZON_MS = 400;

/** The six bugs of the sheet as step replacements: the same list the unit tests use. */
export { BUGS } from '../../test/snapshot/helpers.ts';
export type Bug = (typeof BUGS)[number];

const instanceArb = fc.constantFrom(...CONFIG.instances);
const hostInputArb: fc.Arbitrary<SnapInput> = fc.oneof(
  { arbitrary: instanceArb.map((i) => ({ type: 'start' as const, i })), weight: 4 },
  { arbitrary: fc.record({ i: instanceArb, g: fc.integer({ min: 1, max: CONFIG.maxGarbage }),
    w: fc.boolean() }).map((r) => ({ type: 'finish' as const, ...r })), weight: 4 },
  { arbitrary: instanceArb.map((i) => ({ type: 'connect' as const, i })), weight: 2 },
  { arbitrary: instanceArb.map((i) => ({ type: 'disconnect' as const, i })), weight: 1 },
);
const txInputArb: fc.Arbitrary<SnapInput> = fc.oneof(
  fc.constant({ type: 'tx-begin' as const }), fc.constant({ type: 'tx-send' as const }),
  fc.boolean().map((ok) => ({ type: 'tx-judge' as const, ok })),
  fc.constant({ type: 'tx-next' as const }),
);
/** Inputs on a 10 ms grid (bursts land together), both instances launched first. */
export function inputsArbitrary(): fc.Arbitrary<InputEntry<SnapInput>[]> {
  const atMs = fc.integer({ min: 1, max: HORIZON_MS / 10 }).map((k) => k * 10);
  const entry = fc.oneof(
    { arbitrary: fc.record({ atMs, node: fc.constant(HOST), input: hostInputArb }), weight: 3 },
    { arbitrary: fc.record({ atMs, node: fc.constant(TXR), input: txInputArb }), weight: 1 },
  );
  const launches: InputEntry<SnapInput>[] = CONFIG.instances.map((i) =>
    ({ atMs: 0, node: HOST, input: { type: 'launch', i } }));
  return fc.array(entry, { minLength: 1, maxLength: 60, size: 'large' })
    .map((xs) => [...launches, ...xs.sort((a, b) => a.atMs - b.atMs)]);
}

export function faultsArbitrary(): fc.Arbitrary<FaultPlan> {
  return faultPlanArb({ nodes: SNAP_NODES, horizonMs: HORIZON_MS, maxFaults: 3 });
}

/** A factory of sim options (a fresh run, hence a fresh journal, per call). */
export function simOptionsFactory(
  opts: { steps?: ClusterSteps; gcTickMs?: number; txResendMs?: number } = {}):
  () => SnapRun['options'] {
  return () => snapRun({ cluster: CONFIG, ...opts },
    { network: TRACE_NETWORK, maxSteps: 5_000, maxTimeMs: HORIZON_MS + 300, hashLog: false })
    .options;
}
