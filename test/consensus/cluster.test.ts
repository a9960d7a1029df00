import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  SPEC_VARIABLES, acceptor, chosenBar, enabledActions, initCluster, proposer, specState,
  violatedInvariants, type ClusterSteps, type ProposerState,
} from '../../src/consensus/index.ts';
import { newCluster, run, walk, WALK_CONFIG } from './helpers.ts';

const picks = fc.array(fc.nat({ max: 1 << 20 }), { minLength: 20, maxLength: 60 });

/** Bug 4 (test side): phase 2 proposes the client's entry whatever phase 1 reported. */
const ownValuePhase2a: ClusterSteps['phase2a'] = (st: ProposerState, input) =>
  st.phase === 'leading' && st.sent[input.slot] === undefined
    ? { ok: true, step: proposer.sendAccept(st, input.slot, input.value) }
    : proposer.phase2a(st, input);

const BUGS: Record<string, Partial<ClusterSteps>> = {
  'bug 3: accept below the promise': { phase2b: acceptor.acceptUnchecked },
  'bug 4: phase 2 proposes its own value': { phase2a: ownValuePhase2a },
  'bug 6: quorum N div 2': { quorumSize: (n: number) => Math.floor(n / 2) },
};

describe('cluster', () => {
  it('produces exactly the spec variables', () => {
    expect(Object.keys(specState(initCluster(WALK_CONFIG))).sort())
      .toEqual([...SPEC_VARIABLES].sort());
  });

  it('chooses, applies at every member, and a joining member catches up', () => {
    const c = run(newCluster(), [
      'Propose(v1)', 'Phase1a(0)', 'Phase1b(m1', 'Phase1b(m2', 'Phase2a(0, 1, v1)',
      'Phase2b(m1', 'Phase2b(m2', 'Apply(m1)', 'Join(m3)', 'Apply(m3)',
    ]);
    expect(chosenBar(c)).toEqual([['"v1"'], []]);
    expect(c.replicas.m3?.applied).toEqual(['v1']);
    expect(c.acceptors.m3?.durable.promised).toBeNull();
    expect(violatedInvariants(c)).toEqual([]);
  });

  it('a group of 2 active of 3 needs both: one accept chooses nothing', () => {
    const c = run(newCluster(), [
      'Propose(v1)', 'Phase1a(0)', 'Phase1b(m1', 'Phase1b(m2', 'Phase2a(0, 1, v1)', 'Phase2b(m1',
    ]);
    expect(chosenBar(c)).toEqual([[], []]);
    expect(enabledActions(c).map((a) => a.label)).not.toContain('Apply(m1)');
  });

  it('a higher ballot re-proposes the value accepted in a lower one', () => {
    const c = run(newCluster(), [
      'Propose(v1)', 'Propose(v2)', 'Phase1a(0)', 'Phase1b(m1', 'Phase1b(m2',
      'Phase2a(0, 1, v1)', 'Phase2b(m1', 'Phase1a(1)', 'Phase1b(m1', 'Phase1b(m2',
    ]);
    const labels = enabledActions(c).map((a) => a.label);
    expect(labels).toContain('Phase2a(1, 1, v1)');
    expect(labels).not.toContain('Phase2a(1, 1, v2)');
    expect(labels).toContain('Phase2a(1, 2, v2)');
  });

  test.prop([picks], { numRuns: 60 })('random walks keep every invariant', (ps) => {
    walk(newCluster(), ps);
  });

  for (const [name, steps] of Object.entries(BUGS)) {
    it(`${name}: the random walk fails, prints its seed, and the seed replays`, () => {
      const property = fc.property(fc.array(fc.nat({ max: 1 << 20 }), {
        minLength: 40, maxLength: 60,
      }), (ps) => { walk(newCluster(steps), ps); });
      const first = fc.check(property, { numRuns: 600, seed: 42, endOnFailure: true });
      expect(first.failed).toBe(true);
      const report = fc.defaultReportMessage(first) ?? '';
      expect(report).toMatch(/seed: 42, path: "[\d:]+"/);
      expect(String(first.errorInstance)).toMatch(/ChosenConsistent|Agreement/);
      const again = fc.check(property, {
        numRuns: 1, seed: first.seed, path: first.counterexamplePath ?? undefined,
        endOnFailure: true,
      });
      expect(again.failed).toBe(true);
      expect(again.counterexample).toEqual(first.counterexample);
    });
  }
});
