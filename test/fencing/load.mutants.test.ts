// The public module of fencing must load. Imported inside the test, not at the top: a mutant
// that makes a module throw while it loads (an invalid zod schema, say) fails every file that
// imports it statically before any test runs, and Stryker's vitest runner counts a run with no
// test results as "survived". Here the same failure is a failing test.
import { describe, expect, it } from 'vitest';

describe('fencing module', () => {
  it('loads, and its message schema accepts each kind by its type', async () => {
    const f = await import('../../src/fencing/index.ts');
    const block = { epoch: 0, seq: 0, val: null };
    const acks = [
      { type: 'FenceAck', sled: 's', head: 'h', epoch: 1, block },
      { type: 'WriteAck', sled: 's', head: 'h', epoch: 1, seq: 1 },
      { type: 'Fenced', sled: 's', head: 'h', epoch: 1 },
    ];
    for (const m of acks) expect(f.MessageSchema.parse(m)).toEqual(m);
    expect(f.parseMessage({ type: 'Nope' }).ok).toBe(false);
  });
});
