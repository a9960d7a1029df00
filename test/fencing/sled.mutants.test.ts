// sled.ts and issuer.ts under mutation: exact effect lists in their order, the fencing rule
// on its boundary (epoch == maxEpoch accepted, maxEpoch - 1 answered Fenced), bad-MAC counting,
// and what survives a crash.
import { describe, expect, it } from 'vitest';
import {
  EMPTY_BLOCK, issuer, signCredential, sled, verifyCredential,
  type Credential, type SledState, type WriteMsg,
} from '../../src/fencing/index.ts';
import { KEY } from './helpers.ts';

const cred = (epoch: number, holder = 'h1', extent = '0'): Credential =>
  signCredential(KEY, { volume: 'vol', extent, epoch, holder });
const fence = (epoch: number, holder = 'h1') =>
  ({ type: 'Fence' as const, credential: cred(epoch, holder) });
const write = (epoch: number, seq: number, val: string | null, holder = 'h1'): WriteMsg =>
  ({ type: 'Write', credential: cred(epoch, holder), seq, val });
const fresh = () => sled.initSled({ id: 's1', key: KEY });
const ext = (st: SledState, key = 'vol/0') => sled.sledExtent(st, key);
/** A sled whose extent vol/0 has accepted `maxEpoch` and stores `block`. */
const at = (maxEpoch: number, block = EMPTY_BLOCK): SledState =>
  sled.initSled({ id: 's1', key: KEY }, { extents: { 'vol/0': { maxEpoch, block } } });

describe('sled: the fencing rule on its boundary', () => {
  it('accepts an epoch equal to maxEpoch and refuses maxEpoch - 1', () => {
    expect(sled.acceptsEpoch({ maxEpoch: 3, block: EMPTY_BLOCK }, 3)).toBe(true);
    expect(sled.acceptsEpoch({ maxEpoch: 3, block: EMPTY_BLOCK }, 4)).toBe(true);
    expect(sled.acceptsEpoch({ maxEpoch: 3, block: EMPTY_BLOCK }, 2)).toBe(false);
    expect(sled.acceptsEpoch({ maxEpoch: 0, block: EMPTY_BLOCK }, 0)).toBe(true);
  });

  it('a Fence at epoch == maxEpoch is acknowledged with the stored block', () => {
    const block = { epoch: 2, seq: 5, val: 'x' };
    const st = at(3, block);
    const r = sled.sledFence(st, fence(3));
    const durable = { extents: { 'vol/0': { maxEpoch: 3, block } } };
    expect(r.effects).toEqual([
      { type: 'persist', durable },
      { type: 'send', to: 'h1', msg: { type: 'FenceAck', sled: 's1', head: 'h1', epoch: 3, block } },
    ]);
    expect(r.state.durable).toEqual(durable);
  });

  it('a Fence below maxEpoch is answered Fenced and changes nothing', () => {
    const st = at(3);
    const r = sled.sledFence(st, fence(2, 'h2'));
    expect(r.effects).toEqual([
      { type: 'send', to: 'h2', msg: { type: 'Fenced', sled: 's1', head: 'h2', epoch: 2 } },
    ]);
    expect(r.state).toBe(st);
  });

  it('a Fence above maxEpoch raises it durably before the answer', () => {
    const r = sled.sledFence(at(1), fence(4));
    expect(r.effects.map((e) => e.type)).toEqual(['persist', 'send']);
    expect(r.effects[0]).toEqual({
      type: 'persist', durable: { extents: { 'vol/0': { maxEpoch: 4, block: EMPTY_BLOCK } } },
    });
    expect(ext(r.state).maxEpoch).toBe(4);
  });

  it('a Write below maxEpoch is answered Fenced and writes nothing', () => {
    const st = at(3, { epoch: 3, seq: 1, val: 'a' });
    const r = sled.sledWrite(st, write(2, 9, 'late', 'h2'));
    expect(r.effects).toEqual([
      { type: 'send', to: 'h2', msg: { type: 'Fenced', sled: 's1', head: 'h2', epoch: 2 } },
    ]);
    expect(r.state).toBe(st);
  });
});

describe('sled: writes', () => {
  it('a Write at epoch == maxEpoch stores a newer block: writeBlock, persist, WriteAck', () => {
    const r = sled.sledWrite(at(2), write(2, 1, 'a'));
    const block = { epoch: 2, seq: 1, val: 'a' };
    expect(r.effects).toEqual([
      { type: 'writeBlock', extent: 'vol/0', block },
      { type: 'persist', durable: { extents: { 'vol/0': { maxEpoch: 2, block } } } },
      { type: 'send', to: 'h1', msg: { type: 'WriteAck', sled: 's1', head: 'h1', epoch: 2, seq: 1 } },
    ]);
    expect(ext(r.state)).toEqual({ maxEpoch: 2, block });
  });

  it('a Write above maxEpoch raises maxEpoch, and a newer epoch wins over a higher seq', () => {
    const old = { epoch: 1, seq: 7, val: 'old' };
    const r = sled.sledWrite(at(1, old), write(3, 0, null));
    expect(ext(r.state)).toEqual({ maxEpoch: 3, block: { epoch: 3, seq: 0, val: null } });
    expect(r.effects[0]).toEqual({
      type: 'writeBlock', extent: 'vol/0', block: { epoch: 3, seq: 0, val: null },
    });
  });

  it('a duplicate write (same version) is acknowledged, not written again', () => {
    const block = { epoch: 2, seq: 4, val: 'a' };
    const r = sled.sledWrite(at(2, block), write(2, 4, 'a'));
    expect(r.effects).toEqual([
      { type: 'persist', durable: { extents: { 'vol/0': { maxEpoch: 2, block } } } },
      { type: 'send', to: 'h1', msg: { type: 'WriteAck', sled: 's1', head: 'h1', epoch: 2, seq: 4 } },
    ]);
  });

  it('an older write of a newer epoch raises maxEpoch but keeps the stored block', () => {
    const block = { epoch: 2, seq: 4, val: 'a' };
    const r = sled.sledWrite(at(2, block), write(2, 3, 'b'));
    expect(ext(r.state)).toEqual({ maxEpoch: 2, block });
    const up = sled.sledWrite(at(1, { epoch: 1, seq: 2, val: 'c' }), write(2, 2, 'd'));
    expect(ext(up.state)).toEqual({ maxEpoch: 2, block: { epoch: 2, seq: 2, val: 'd' } });
  });

  it('extents are independent: a write to one leaves the others as they were', () => {
    const other = { maxEpoch: 9, block: { epoch: 9, seq: 9, val: 'z' } };
    const st = sled.initSled({ id: 's1', key: KEY }, { extents: { 'vol/7': other } });
    const r = sled.sledWrite(st, { type: 'Write', credential: cred(1, 'h1', '0'), seq: 1, val: 'a' });
    expect(r.state.durable.extents['vol/7']).toEqual(other);
    expect(ext(r.state, 'vol/0').maxEpoch).toBe(1);
    expect(sled.sledExtent(fresh(), 'vol/nothing')).toEqual({ maxEpoch: 0, block: EMPTY_BLOCK });
  });
});

describe('sled: bad MACs and crashes', () => {
  it('refuses a forged credential with a one-line message and counts it', () => {
    const forged = { ...cred(5), epoch: 6 };
    const r = sled.sledFence(at(1), { type: 'Fence', credential: forged });
    expect(r.effects).toEqual([
      { type: 'refused', code: 'BAD_MAC', message: 'bad credential MAC from h1 for vol/0' },
    ]);
    expect(r.state.volatile.badMacCount).toBe(1);
    expect(r.state.durable).toEqual(at(1).durable);
    const w = sled.sledWrite(r.state, { type: 'Write', credential: forged, seq: 1, val: 'x' });
    expect(w.state.volatile.badMacCount).toBe(2);
    expect(w.effects).toHaveLength(1);
    expect(w.state.durable).toEqual(at(1).durable);
  });

  it('a crash keeps exactly the durable state; the restart counts from zero', () => {
    let st = sled.sledFence(fresh(), fence(2)).state;
    st = sled.sledFence(st, { type: 'Fence', credential: { ...cred(9), mac: 'f'.repeat(64) } }).state;
    expect(st.volatile.badMacCount).toBe(1);
    const durable = sled.sledCrash(st);
    expect(durable).toBe(st.durable);
    const back = sled.sledRestart(st.config, durable);
    expect(back).toEqual({ config: st.config, durable: st.durable, volatile: { badMacCount: 0 } });
    expect(fresh()).toEqual({ config: { id: 's1', key: KEY }, durable: { extents: {} }, volatile: { badMacCount: 0 } });
  });
});

describe('issuer', () => {
  const init = () => issuer.initIssuer({ id: 'issuer', key: KEY });

  it('persists the next epoch, then sends the signed credential to the holder', () => {
    const i0 = init();
    const g = issuer.grant(i0, { volume: 'vol', extent: '0', holder: 'h2' });
    const credential = signCredential(KEY, { volume: 'vol', extent: '0', epoch: 1, holder: 'h2' });
    expect(g.credential).toEqual(credential);
    expect(verifyCredential(KEY, g.credential)).toBe(true);
    expect(g.effects).toEqual([
      { type: 'persist', durable: { epochs: { 'vol/0': 1 } } },
      { type: 'send', to: 'h2', msg: { type: 'Grant', credential } },
    ]);
    expect(g.state.durable).toEqual({ epochs: { 'vol/0': 1 } });
    expect(g.state.config).toBe(i0.config);
  });

  it('counts epochs per extent, from the durable state after a restart', () => {
    const i0 = init();
    let st = i0;
    for (const extent of ['0', '0', '1', '0']) {
      st = issuer.grant(st, { volume: 'vol', extent, holder: 'h1' }).state;
    }
    expect(st.durable.epochs).toEqual({ 'vol/0': 3, 'vol/1': 1 });
    expect(issuer.issuerEpoch(st, 'vol', '0')).toBe(3);
    expect(issuer.issuerEpoch(st, 'vol', '2')).toBe(0);
    const r = issuer.issuerRestart(st);
    expect(r.effects).toEqual([]);
    expect(r.state).toEqual(st);
    expect(issuer.grant(r.state, { volume: 'vol', extent: '0', holder: 'h1' }).credential.epoch)
      .toBe(4);
    const resumed = issuer.initIssuer(i0.config, { epochs: { 'vol/0': 7 } });
    expect(issuer.grant(resumed, { volume: 'vol', extent: '0', holder: 'h1' }).credential.epoch)
      .toBe(8);
    expect(i0.durable).toEqual({ epochs: {} });
  });
});
