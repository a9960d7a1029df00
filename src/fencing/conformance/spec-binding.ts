/**
 * What binds the fencing cores to spec/fencing/Fencing.tla for conformance checks: the spec's
 * variables, its action names, each action's formula with its parameters quantified (for
 * trace validation), and the constants block the trace validation module uses.
 *
 * The trace constants (`TRACE_CONSTANTS`) are larger than MC.cfg's: a trace is one behaviour,
 * so the state space TLC explores is the trace itself, and the bounds only need to admit every
 * run `traces.ts` generates (it keeps takeovers, client writes and sled crashes within them).
 */
import { fileURLToPath } from 'node:url';

export const SPEC_PATH =
  fileURLToPath(new URL('../../../spec/fencing/Fencing.tla', import.meta.url));
export const REPLAY_CONFIG_PATH =
  fileURLToPath(new URL('../../../spec/fencing/Replay.cfg', import.meta.url));

/** The spec's variables, in the order of its VARIABLES declaration. */
export const SPEC_VARIABLES = [
  'issuerEpoch', 'epoch', 'phase', 'fenced', 'known', 'pending', 'acks', 'maxEpoch', 'block',
  'up', 'msgs', 'migration', 'crashes', 'hiEpoch', 'performed', 'acked',
] as const;

/** Every action of the spec's Next, with its parameters quantified as in Next. */
export const SPEC_ACTIONS = {
  Grant: '\\E h \\in Heads : Grant(h)',
  IssuerRestart: 'IssuerRestart',
  SledFence: '\\E s \\in Sleds : SledFence(s)',
  HeadFenced: '\\E h \\in Heads : HeadFenced(h)',
  Repair: '\\E h \\in Heads : Repair(h)',
  ClientWrite: '\\E h \\in Heads, v \\in Values : ClientWrite(h, v)',
  SledWrite: '\\E s \\in Sleds : SledWrite(s)',
  HeadAck: '\\E h \\in Heads : HeadAck(h)',
  HeadFencedOff: '\\E h \\in Heads : HeadFencedOff(h)',
  ClientRead: '\\E h \\in Heads : ClientRead(h)',
  SledCrash: '\\E s \\in Sleds : SledCrash(s)',
  SledRestart: '\\E s \\in Sleds : SledRestart(s)',
  MigratePause: '\\E src, dst \\in Heads : MigratePause(src, dst)',
  MigrateGrant: 'MigrateGrant',
} as const satisfies Record<string, string>;

export type SpecActionName = keyof typeof SPEC_ACTIONS;
export const SPEC_ACTION_NAMES = Object.keys(SPEC_ACTIONS) as SpecActionName[];

export function isSpecActionName(name: string): name is SpecActionName {
  return Object.hasOwn(SPEC_ACTIONS, name);
}

/** Bounds of the simulator runs whose traces TLC validates; `TRACE_CONSTANTS` matches them. */
export const TRACE_BOUNDS = {
  maxEpoch: 6,
  maxSeq: 8,
  maxCrashes: 3,
} as const;

/** The sleds, heads and values of the simulator runs whose traces TLC validates. */
export const TRACE_SLEDS = ['s1', 's2', 's3'] as const;
export const TRACE_HEADS = ['h1', 'h2'] as const;
export const TRACE_VALUES = ['v1', 'v2'] as const;

/**
 * The constants block of the trace validation module (a Trace.cfg of our own: MC.cfg's shape,
 * 3 sleds with W = F = 2, bounds that admit every generated run; no symmetry, no constraint).
 */
export const TRACE_CONSTANTS = `CONSTANTS
  Sleds = {${TRACE_SLEDS.join(', ')}}
  Heads = {${TRACE_HEADS.join(', ')}}
  Values = {${TRACE_VALUES.join(', ')}}
  NoValue = NoValue
  None = None
  W = 2
  F = 2
  MaxEpoch = ${TRACE_BOUNDS.maxEpoch}
  MaxSeq = ${TRACE_BOUNDS.maxSeq}
  MaxCrashes = ${TRACE_BOUNDS.maxCrashes}
  MaxMsgs = 100000`;
