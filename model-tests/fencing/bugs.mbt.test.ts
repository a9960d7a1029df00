/**
 * The five bugs of shared/protocols/fencing.md, each injected FROM THE TEST SIDE (a wrapper
 * around a core's step or its effects; the cores stay correct), must make the simulation /
 * model-based tests fail; the reported seed and plan must replay to the same failure; the
 * correct code passes the same tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSimProperty, replay } from '../../src/runtime/sim/index.ts';
import { head, sled } from '../../src/fencing/index.ts';
import type { HeadState, SledDurable } from '../../src/fencing/index.ts';
import { ISSUER_ID } from '../../src/fencing/conformance/index.ts';
import type { CoreHooks } from '../../src/fencing/conformance/index.ts';
import {
  faultsArbitrary, HORIZON_MS, inputsArbitrary, simOptionsFactory,
} from './harness.ts';
import { fencingModelProperty } from './mbt-commands.ts';

/** Bug 1: the sled's persist effect keeps maxEpoch at 0 (only the block reaches the disk). */
const volatileMaxEpoch: CoreHooks = {
  sledStep: (_before, _msg, step) => ({
    ...step,
    effects: step.effects.map((e) => {
      if (e.type !== 'persist') return e;
      const extents: SledDurable['extents'] = Object.fromEntries(Object.entries(e.durable.extents)
        .map(([k, x]) => [k, { ...x, maxEpoch: 0 }]));
      return { ...e, durable: { extents } };
    }),
  }),
};

/** Bug 2: a takeover writes (repairs, then serves) after fencing ONE sled: W + F = N. */
const smallFenceQuorum: CoreHooks = {
  headInit: (config): HeadState => ({ ...head.initHead(config), config: { ...config, f: 1 } }),
};

/** Bug 3: the issuer's counter is never persisted (a restart forgets the epochs granted). */
const volatileIssuer: CoreHooks = {
  issuerGrant: (_before, step) =>
    ({ ...step, effects: step.effects.filter((e) => e.type !== 'persist') }),
};

/** Bug 4: a new head answers reads before it repaired (while fencing or repairing). */
const readBeforeRepair: CoreHooks = {
  headServesRead: (s) => s.phase === 'fencing' || s.phase === 'repairing' || s.phase === 'serving',
};

/** Bug 5: the sled accepts only epoch > maxEpoch: an equal epoch is answered Fenced. */
const strictEpoch: CoreHooks = {
  sledStep: (before, msg, step) => {
    if (msg.type !== 'Fence' && msg.type !== 'Write') return step;
    const key = `${msg.credential.volume}/${msg.credential.extent}`;
    const accepted = step.effects.some((e) => e.type === 'send' && e.msg.type !== 'Fenced');
    if (!accepted || msg.credential.epoch > sled.sledExtent(before, key).maxEpoch) return step;
    const c = msg.credential;
    return { state: before, effects: [{ type: 'send', to: c.holder,
      msg: { type: 'Fenced', sled: before.config.id, head: c.holder, epoch: c.epoch } }] };
  },
};

const RUNS = Number(process.env.FENCING_BUG_RUNS ?? 300);
const DEADLINE_MS = HORIZON_MS + 600;

function safetyProperty(hooks: CoreHooks | undefined, seed: number, runs = RUNS) {
  const options = simOptionsFactory(hooks === undefined ? {} : { hooks });
  const outcome = checkSimProperty({
    options, faults: faultsArbitrary(), inputs: inputsArbitrary(),
    params: { numRuns: runs, seed },
  });
  return { options, outcome };
}

function livenessProperty(hooks: CoreHooks | undefined, seed: number, runs = RUNS) {
  const base = hooks === undefined ? {} : { hooks };
  const options = simOptionsFactory({ ...base, retryMs: 40, deadlineMs: DEADLINE_MS });
  const probe = { atMs: DEADLINE_MS, node: ISSUER_ID, input: { type: 'probe' as const } };
  const outcome = checkSimProperty({
    options, faults: faultsArbitrary(), inputs: inputsArbitrary().map((xs) => [...xs, probe]),
    params: { numRuns: Math.ceil(runs / 3), seed },
  });
  return { options, outcome };
}

type Check = typeof safetyProperty;

/** The property fails with `expected` among the violations, and its (seed, plan) replays. */
function expectCaught(check: Check, hooks: CoreHooks, expected: string[], runs?: number): void {
  const { options, outcome } = check(hooks, 42, runs);
  if (outcome.ok) throw new Error(`bug not caught in ${outcome.numRuns} runs`);
  const f = outcome.failure;
  expect(f.code).toBe('invariant');
  expect(f.violated.some((v) => expected.includes(v))).toBe(true);
  const again = replay(options(), f.seed, f.plan);
  expect(again.ok).toBe(false);
  if (again.ok) return;
  expect(again.failure.violated).toEqual(f.violated);
  expect(again.failure.step).toBe(f.step);
  expect(again.failure.logHash).toBe(f.logHash);
}

describe('fencing bugs injected from the test side are caught', () => {
  it('the correct code passes the same safety and liveness properties', () => {
    const safe = safetyProperty(undefined, 42, RUNS * 8).outcome;
    if (!safe.ok) throw new Error(safe.report);
    const live = livenessProperty(undefined, 42).outcome;
    if (!live.ok) throw new Error(live.report);
  });

  it('bug 1: volatile maxEpoch at the sled (a fenced head writes again after a restart)', () => {
    expectCaught(safetyProperty, volatileMaxEpoch, ['NoStaleWrite', 'AckedWritesSurvive',
      'ReadsSeeLatestAck', 'OneWriterPerEpoch']);
  });

  it('bug 2: takeover writes before fencing a quorum (W + F <= N)', () => {
    expectCaught(safetyProperty, smallFenceQuorum, ['AckedWritesSurvive', 'ReadsSeeLatestAck',
      'OneWriterPerEpoch', 'NoStaleWrite']);
  });

  it('bug 3: the issuer counter is volatile (two holders share an epoch)', () => {
    expectCaught(safetyProperty, volatileIssuer, ['OneWriterPerEpoch', 'ReadsSeeLatestAck',
      'AckedWritesSurvive', 'NoStaleWrite']);
  });

  it('bug 4: reads served before repair (a stale read)', () => {
    // A read must land in the few milliseconds a second head spends fencing: more runs.
    expectCaught(safetyProperty, readBeforeRepair, ['ReadsSeeLatestAck'], RUNS * 8);
  });

  it('bug 5: strict epoch at the sled (the current head never completes: liveness)', () => {
    expectCaught(livenessProperty, strictEpoch, ['WriteCompletes']);
  });

  it('the model-based commands catch bugs 2, 3 and 4 too, and their seed and path replay', () => {
    const bugs = { smallFenceQuorum, volatileIssuer, readBeforeRepair };
    for (const [name, hooks] of Object.entries(bugs)) {
      const details = fc.check(fencingModelProperty(hooks), { numRuns: 1000, seed: 7 });
      expect({ name, failed: details.failed }).toEqual({ name, failed: true });
      const shown = String(details.counterexample?.[0] ?? '');
      const replayPath = /replayPath="([^"]*)"/.exec(shown)?.[1];
      const again = fc.check(fencingModelProperty(hooks, 80, replayPath), {
        seed: details.seed, path: details.counterexamplePath ?? undefined, endOnFailure: true,
      });
      expect(again.failed).toBe(true);
      expect(String(again.errorInstance)).toBe(String(details.errorInstance));
    }
  });
});
