/**
 * The six bugs of the sheet, injected from the test side through the cluster's `steps` record:
 * seeded random walks must catch each one with exactly the invariant the spec's bug variant
 * violates (spec/sandbox-reuse/bugs/manifest.json). The finding seed is printed; the walk
 * `walk(config, seed, MAX_STEPS, steps)` replays it.
 */
import { describe, expect, it } from 'vitest';
import {
  realSteps, releaseOnce, workerManager as wm,
  type ClusterConfig, type InvariantName, type Steps,
} from '../../src/sandbox/index.ts';
import { MC_CONFIG, walk } from './helpers.ts';

const MAX_STEPS = 40;
const MAX_SEEDS = 3000;

const nonAtomicAcquire: Steps['acquire'] = (w, request, kind, mode, pickIndex, match) => {
  // Bug 1: the frontend saw these sandboxes idle; the take does not re-check.
  const seen = w.sandboxes.filter((s) =>
    (s.phase === 'Idle' || s.phase === 'Busy') && (match ?? wm.matchesKind)(s.kind, kind));
  if (seen.length === 0) return wm.acquire(w, request, kind, mode, pickIndex, match);
  const sb = seen[pickIndex(seen.length)]!;
  const taken = { ...sb, phase: 'Busy' as const, request };
  const sandboxes = w.sandboxes.map((s) => (s.id === sb.id ? taken : s));
  return { state: { ...w, sandboxes }, result: { outcome: 'acquired', sandbox: sb.id },
    effects: [] };
};

const bugs: { n: number; name: string; expected: InvariantName; config: ClusterConfig;
  steps: Partial<Steps> }[] = [
  { n: 1, name: 'acquire is not atomic', expected: 'NoDoubleBooking',
    config: { ...MC_CONFIG, limitFloor: 2 }, steps: { acquire: nonAtomicAcquire } },
  { n: 2, name: 'reuse matches the function name only', expected: 'TenantIsolation',
    config: MC_CONFIG, steps: { match: (have, want) => have !== null && have.fn === want.fn } },
  { n: 3, name: 'no reset on the error path', expected: 'SingleUseReset', config: MC_CONFIG,
    steps: { release: (w, id, r, outcome) => {
      if (outcome !== 'error') return wm.release(w, id, r, outcome);
      const out = wm.release({ ...w, config: { ...w.config, singleUse: false } }, id, r, outcome);
      return out.ok ? { ok: true, step: { ...out.step,
        state: { ...out.step.state, config: w.config } } } : out;
    } } },
  { n: 4, name: 'credential not revoked on timeout', expected: 'CredentialScope',
    config: MC_CONFIG, steps: { revokeOnEnd: (revoked, creds, outcome) =>
      (outcome === 'timeout' ? revoked : realSteps.revokeOnEnd(revoked, creds, outcome)) } },
  { n: 5, name: 'probing has no threshold', expected: 'BoundedProbes', config: MC_CONFIG,
    steps: { place: (view, randomIndex) => {
      const left = view.workers.filter((w) => !view.asked.includes(w));
      const pool = left.length > 0 ? left : view.workers; // loops over them forever
      return { kind: 'probe', worker: pool[randomIndex(pool.length)]! };
    } } },
  { n: 6, name: 'count released twice on failure', expected: 'WithinLimits', config: MC_CONFIG,
    steps: { onAttemptFailed: (l, t, r) => releaseOnce(l, t, r) } },
];

describe('bug variants injected through steps are caught', () => {
  for (const bug of bugs) {
    it(`bug ${bug.n} (${bug.name}) violates ${bug.expected}`, () => {
      for (let seed = 1; seed <= MAX_SEEDS; seed++) {
        const r = walk(bug.config, seed, MAX_STEPS, bug.steps);
        if (r.violated.length === 0) continue;
        console.log(`bug ${bug.n}: ${r.violated.join(', ')} at seed ${seed} after ${r.steps} ` +
          `steps (replay: walk(config, ${seed}, ${MAX_STEPS}, steps)): ${r.trail.join(' ; ')}`);
        expect(r.violated).toEqual([bug.expected]);
        const again = walk(bug.config, seed, MAX_STEPS, bug.steps);
        expect(again.trail).toEqual(r.trail);
        return;
      }
      throw new Error(`bug ${bug.n} not caught in ${MAX_SEEDS} seeds`);
    }, 20_000);
  }

  it('the same walks with the real steps stay clean', () => {
    for (let seed = 1; seed <= 100; seed++) {
      expect(walk({ ...MC_CONFIG, limitFloor: 2 }, seed, MAX_STEPS, realSteps).violated)
        .toEqual([]);
    }
  });
});
