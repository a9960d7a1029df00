import { describe, expect, it } from 'vitest';
import {
  applyAction, enabledActions, initCluster, specState, violatedInvariants, SPEC_VARIABLES,
  type Cluster,
} from '../../src/sandbox/index.ts';
import { canonical } from '../../src/tla/value-ops.ts';
import { MC_CONFIG, REPLAY_CONFIG, WIDE_CONFIG, walk } from './helpers.ts';

const canonState = (c: Cluster): string => JSON.stringify(canonical(specState(c)));

/** Breadth-first search over spec states, invariants checked in every state. */
function explore(start: Cluster): { states: number; actions: Set<string>; bad: string[] } {
  const seen = new Map<string, Cluster>([[canonState(start), start]]);
  const queue = [start];
  const actions = new Set<string>();
  const bad: string[] = [];
  while (queue.length > 0) {
    const c = queue.shift()!;
    for (const a of enabledActions(c)) {
      const next = applyAction(c, a);
      actions.add(a.action);
      const key = canonState(next);
      if (seen.has(key)) continue;
      const violated = violatedInvariants(next);
      if (violated.length > 0) bad.push(`${a.label}: ${violated.join(', ')}`);
      seen.set(key, next);
      queue.push(next);
    }
  }
  return { states: seen.size, actions, bad };
}

describe('cluster (mirror of SandboxReuse.tla)', () => {
  it('specState has exactly the spec variables', () => {
    expect(Object.keys(specState(initCluster(MC_CONFIG))).sort())
      .toEqual([...SPEC_VARIABLES].sort());
  });

  it('reaches exactly the 3772 distinct states TLC reports for Replay.cfg, all invariants ' +
    'holding, every action taken', () => {
    const r = explore(initCluster(REPLAY_CONFIG));
    expect(r.bad).toEqual([]);
    expect(r.states).toBe(3772);
    expect([...r.actions].sort()).toEqual([
      'Accept', 'AdjustLimit', 'Complete', 'Fail', 'Probe', 'Provision', 'Ready', 'Reclaim',
      'Redrive', 'Reset', 'Start', 'Sticky', 'Throttle', 'Timeout',
    ]);
  }, 60_000);

  it('random walks keep every invariant (seeds printed on failure)', () => {
    for (const [config, runs] of [[MC_CONFIG, 150], [WIDE_CONFIG, 150]] as const) {
      for (let seed = 1; seed <= runs; seed++) {
        const r = walk(config, seed, 60);
        if (r.violated.length > 0) {
          throw new Error(`seed ${seed}: ${r.violated.join(', ')} after ${r.trail.join(' ; ')}`);
        }
      }
    }
  }, 30_000);

  it('liveness: from any walk, fair request and sandbox steps end every accepted request', () => {
    const fair = new Set(['Probe', 'Provision', 'Throttle', 'Start', 'Complete', 'Fail', 'Timeout',
      'Ready', 'Reset']);
    for (let seed = 1; seed <= 60; seed++) {
      let c = walk(WIDE_CONFIG, seed, 30).last;
      for (let i = 0; i < 300; i++) {
        const enabled = enabledActions(c).filter((a) => fair.has(a.action));
        const a = enabled[(seed + i) % Math.max(1, enabled.length)];
        if (a === undefined) break;
        c = applyAction(c, a);
        expect(violatedInvariants(c)).toEqual([]);
      }
      for (const id of WIDE_CONFIG.requests) {
        expect(['new', 'completed', 'throttled', 'failed'], `seed ${seed} ${id}`)
          .toContain(c.requests[id]!.phase);
      }
    }
  });
});
