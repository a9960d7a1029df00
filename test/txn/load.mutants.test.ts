// The public module of txn must load. Imported inside the test, not at the top: a mutant that
// makes a module throw while it loads (an invalid zod schema, say) fails every file that
// imports it statically before any test runs, and Stryker's vitest runner counts a run with no
// test results as "survived". Here the same failure is a failing test.
import { describe, expect, it } from 'vitest';

describe('txn module', () => {
  it('loads, and its schemas accept each entry, input and effect kind', async () => {
    const t = await import('../../src/txn/index.ts');
    const txn = { id: 't', ops: [{ group: 'g', key: 'k', delta: 1 }] };
    const entries = [{ type: 'Prepare', txn }, { type: 'AbortVote', txnId: 't' },
      { type: 'Commit', txnId: 't' }, { type: 'Abort', txnId: 't' }];
    for (const e of entries) expect(t.EntrySchema.parse(e)).toEqual(e);
    const inputs = [{ type: 'begin', txn, nowMs: 0 }, { type: 'tick', nowMs: 1 },
      { type: 'recover', txnId: 't', nowMs: 2 },
      { type: 'applied', group: 'g', slot: 0, entry: entries[2],
        result: { kind: 'decision', txnId: 't', decision: 'commit' }, nowMs: 3 }];
    for (const i of inputs) expect(t.ProposerInputSchema.parse(i)).toEqual(i);
    const fx = { type: 'outcome', txnId: 't', outcome: 'aborted' };
    expect(t.ProposerEffectSchema.parse(fx)).toEqual(fx);
    const vote = { kind: 'vote', txnId: 't', vote: 'aborted' };
    expect(t.ApplyResultSchema.parse(vote)).toEqual(vote);
  });
});
