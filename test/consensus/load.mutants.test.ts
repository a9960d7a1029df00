// The public modules of consensus and its KV store must load. Imported inside the test, not at
// the top: a mutant that makes a module throw while it loads (an invalid zod schema, say) fails
// every file that imports it statically before any test runs, and Stryker's vitest runner
// counts a run with no test results as "survived". Here the same failure is a failing test.
import { describe, expect, it } from 'vitest';

describe('consensus modules', () => {
  it('load, and the message schema accepts each kind by its type', async () => {
    const c = await import('../../src/consensus/index.ts');
    const ballot = { round: 0, proposer: 'p' };
    const msgs = [
      { type: 'Prepare', ballot, fromSlot: 1 },
      { type: 'Promise', from: 'a', ballot, fromSlot: 1, votes: [] },
      { type: 'Accept', ballot, slot: 1, value: null },
      { type: 'Accepted', from: 'a', ballot, slot: 1, value: 'v' },
      { type: 'Preempted', from: 'a', ballot, promised: ballot },
    ];
    for (const m of msgs) expect(c.MessageSchema.parse(m)).toEqual(m);
    expect(c.decodeMessage({ type: 'Nope' }).ok).toBe(false);
  });
  it('the KV module loads and its schemas accept each command', async () => {
    const kv = await import('../../src/consensus/kv/index.ts');
    for (const command of [{ type: 'get', key: 'k' },
      { type: 'put', key: 'k', value: 'v', expectedVersion: 0 },
      { type: 'delete', key: 'k', expectedVersion: 1 }]) {
      expect(kv.KvEntrySchema.parse({ clientId: 'c', seq: 1, command })).toEqual(
        { clientId: 'c', seq: 1, command });
    }
    expect(kv.KvResultSchema.parse({ type: 'deleted' })).toEqual({ type: 'deleted' });
  });
});
