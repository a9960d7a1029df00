import { describe, expect, it } from 'vitest';
import {
  applyAction, enabledActions, initCluster, specState, violatedInvariants, SPEC_VARIABLES,
  type Cluster, type ClusterConfig,
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

/** Warm mode (SingleUse = FALSE): the Release message between a request's end and reuse. */
const WARM_MC: ClusterConfig = { ...MC_CONFIG, singleUse: false };
const WARM_REPLAY: ClusterConfig = { ...REPLAY_CONFIG, singleUse: false };
const WARM_WIDE: ClusterConfig = { ...WIDE_CONFIG, singleUse: false };

function act(c: Cluster, label: string): Cluster {
  const a = enabledActions(c).find((x) => x.label === label);
  if (a === undefined) {
    throw new Error(`${label} not enabled: ${enabledActions(c).map((x) => x.label).join(' ; ')}`);
  }
  return applyAction(c, a);
}
const labels = (c: Cluster): string[] => enabledActions(c).map((a) => a.label);
const sbStateOf = (c: Cluster, w: string, slot: number): unknown => {
  const f = specState(c).sbState as { '#map': [unknown, unknown][] };
  return f['#map'].find(([k]) => JSON.stringify(k) === JSON.stringify([{ '#model': w }, slot]))
    ?.[1];
};

describe('cluster in warm mode (SingleUse = FALSE)', () => {
  it('reaches exactly the 3884 distinct states TLC reports for ReplayWarm.cfg, all ' +
    'invariants holding, Release taken and Reset never', () => {
    const r = explore(initCluster(WARM_REPLAY));
    expect(r.bad).toEqual([]);
    expect(r.states).toBe(3884);
    expect([...r.actions].sort()).toEqual([
      'Accept', 'AdjustLimit', 'Complete', 'Fail', 'Probe', 'Provision', 'Ready', 'Reclaim',
      'Redrive', 'Release', 'Start', 'Sticky', 'Throttle', 'Timeout',
    ]);
  }, 60_000);

  it('a sandbox whose Release is in flight is Releasing: a probe misses, then reuses it', () => {
    let c = initCluster(WARM_MC);
    for (const l of ['Accept(r1, f/1/ta)', 'Probe(r1, w1, miss)', 'Provision(r1, w2, w2#1)',
      'Ready(w2#1)', 'Start(r1)', 'Complete(r1)', 'Accept(r2, f/1/ta)']) c = act(c, l);
    expect(sbStateOf(c, 'w2', 1)).toBe('Releasing');
    expect(c.workers.w2!.sandboxes[0]!.phase).toBe('Busy'); // the worker still holds it
    expect(labels(c)).toContain('Probe(r2, w2, miss)');
    expect(labels(c)).not.toContain('Probe(r2, w2, w2#1)');
    expect(labels(c).some((l) => l.startsWith('Sticky(r2'))).toBe(false);
    expect(labels(c)).not.toContain('Reclaim(w2#1)');
    c = act(c, 'Release(w2#1)');
    expect(sbStateOf(c, 'w2', 1)).toBe('Idle');
    expect(labels(c)).not.toContain('Release(w2#1)');
    c = act(c, 'Probe(r2, w2, w2#1)');
    expect(c.requests.r2!.phase).toBe('acquired');
    expect(violatedInvariants(c)).toEqual([]);
  });

  it('random walks keep every invariant (seeds printed on failure)', () => {
    for (const [config, runs] of [[WARM_MC, 150], [WARM_WIDE, 150]] as const) {
      for (let seed = 1; seed <= runs; seed++) {
        const r = walk(config, seed, 60);
        if (r.violated.length > 0) {
          throw new Error(`seed ${seed}: ${r.violated.join(', ')} after ${r.trail.join(' ; ')}`);
        }
      }
    }
  }, 30_000);

  it('liveness: fair request, Ready and Release steps end every accepted request', () => {
    const fair = new Set(['Probe', 'Provision', 'Throttle', 'Start', 'Complete', 'Fail', 'Timeout',
      'Ready', 'Release']);
    for (let seed = 1; seed <= 60; seed++) {
      let c = walk(WARM_WIDE, seed, 30).last;
      for (let i = 0; i < 300; i++) {
        const enabled = enabledActions(c).filter((a) => fair.has(a.action));
        const a = enabled[(seed + i) % Math.max(1, enabled.length)];
        if (a === undefined) break;
        c = applyAction(c, a);
        expect(violatedInvariants(c)).toEqual([]);
      }
      expect(Object.keys(c.releasing)).toEqual([]);
      for (const id of WARM_WIDE.requests) {
        expect(['new', 'completed', 'throttled', 'failed'], `seed ${seed} ${id}`)
          .toContain(c.requests[id]!.phase);
      }
    }
  });
});
