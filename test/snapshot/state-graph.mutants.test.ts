// The state graph of snapshot-gc under mutation, without spawning TLC: a breadth-first search
// of the composition must reach exactly the distinct states TLC reports for the same constants,
// every invariant holding in each. A separate file so that it runs after the quick
// *.mutants.test.ts files (Stryker bails at the first failing test).
import { describe, expect, it } from 'vitest';
import {
  applyAction, enabledActions, initCluster, specState, violatedInvariants, type Cluster,
} from '../../src/snapshot/index.ts';
import { canonical } from '../../src/tla/value-ops.ts';
import { REPLAY_CONFIG } from './helpers.ts';

const canonState = (c: Cluster): string => JSON.stringify(canonical(specState(c)));

describe('snapshot cluster: the state graph', () => {
  it('reaches exactly the distinct states TLC finds for Replay.cfg with MaxRunning = 1, ' +
    'MaxAttempts = 1', () => {
    // TLC (tools 1.7.3, -workers 1) on spec/snapshot-gc/SnapshotGC.tla with Replay.cfg but
    // MaxRunning = 1 and MaxAttempts = 1: "2830 states generated, 1085 distinct states found,
    // 0 states left on queue". cluster.test.ts checks the full Replay.cfg against a live TLC.
    const TLC_DISTINCT_STATES = 1085;
    const start = initCluster({ ...REPLAY_CONFIG, maxRunning: 1, maxAttempts: 1 });
    const seen = new Set<string>([canonState(start)]);
    let frontier = [start];
    while (frontier.length > 0) {
      const next: Cluster[] = [];
      for (const c of frontier) {
        for (const a of enabledActions(c)) {
          const d = applyAction(c, a);
          const k = canonState(d);
          if (seen.has(k)) continue;
          expect(violatedInvariants(d)).toEqual([]);
          seen.add(k);
          next.push(d);
        }
      }
      frontier = next;
    }
    expect(seen.size).toBe(TLC_DISTINCT_STATES);
  });
});

