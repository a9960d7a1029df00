// head.ts and messages.ts under mutation: quorums exactly F (fence) and W (write), the guard of
// every step conjunct by conjunct, exact replies in their order, and the version order.
import { describe, expect, it } from 'vitest';
import {
  EMPTY_BLOCK, head, maxBlock, newer, parseMessage, signCredential,
  type Block, type FenceAckMsg, type FencedMsg, type HeadState, type Phase, type WriteAckMsg,
} from '../../src/fencing/index.ts';
import { KEY } from './helpers.ts';

const cred = (epoch: number, holder = 'h1') =>
  signCredential(KEY, { volume: 'vol', extent: '0', epoch, holder });
/** Three sleds, W = 2 and F = 2 (W + F > 3). */
const cfg = { id: 'h1', sleds: ['s1', 's2', 's3'], w: 2, f: 2 };
const fenceAck = (sled: string, block: Block = EMPTY_BLOCK, epoch = 2, to = 'h1'): FenceAckMsg =>
  ({ type: 'FenceAck', sled, head: to, epoch, block });
const writeAck = (sled: string, seq: number, epoch = 2, to = 'h1'): WriteAckMsg =>
  ({ type: 'WriteAck', sled, head: to, epoch, seq });
const fenced = (sled: string, epoch = 2, to = 'h1'): FencedMsg =>
  ({ type: 'Fenced', sled, head: to, epoch });
const replies = (effects: readonly head.HeadEffect[]) =>
  effects.map((e) => (e.type === 'reply' ? e.reply : null));

const fencing = (): HeadState => head.takeOver(head.initHead(cfg), cred(2)).state;
function repairing(block: Block = { epoch: 1, seq: 3, val: 'old' }): HeadState {
  let st = head.headFenced(fencing(), fenceAck('s1', block)).state;
  st = head.headFenced(st, fenceAck('s3')).state;
  return head.repair(st).state;
}
function serving(): HeadState {
  const st = head.headAck(repairing(), writeAck('s1', 3)).state;
  return head.headAck(st, writeAck('s2', 3)).state;
}
const withPhase = (st: HeadState, phase: Phase): HeadState => ({ ...st, phase });

describe('head: setup and takeover', () => {
  it('needs W + F > N and starts idle with nothing known', () => {
    expect(() => head.initHead({ ...cfg, w: 1, f: 2 })).toThrow(/W \+ F/);
    expect(head.initHead({ ...cfg, w: 2, f: 2 })).toEqual({
      config: cfg, credential: null, phase: 'idle', fenced: [], known: EMPTY_BLOCK,
      pending: null, acks: [],
    });
    expect(head.headEpoch(head.initHead(cfg))).toBe(0);
    expect(head.PHASES).toEqual(['idle', 'fencing', 'repairing', 'serving', 'paused', 'stepped-down']);
  });

  it('takes over only when idle or stepped down', () => {
    const ok = head.PHASES.filter((p) => head.canTakeOver(withPhase(fencing(), p)));
    expect(ok).toEqual(['idle', 'stepped-down']);
  });

  it('sends Fence to every sled, in order, and forgets everything of before', () => {
    const stale = { ...serving(), phase: 'stepped-down' as const, pending: { seq: 9, val: 'x' } };
    const credential = cred(5);
    const r = head.takeOver({ ...stale, acks: ['s1'] }, credential);
    expect(r.effects).toEqual(cfg.sleds.map((to) =>
      ({ type: 'send', to, msg: { type: 'Fence', credential } })));
    expect(r.state).toEqual({
      config: cfg, credential, phase: 'fencing', fenced: [], known: EMPTY_BLOCK, pending: null,
      acks: [],
    });
    expect(head.headEpoch(r.state)).toBe(5);
    expect(() => head.takeOver(head.initHead(cfg), cred(5, 'h2'))).toThrow(/holder/);
  });
});

describe('head: fencing quorum F and repair', () => {
  it('counts each sled once, keeps them sorted, and keeps the newest block', () => {
    let st = head.headFenced(fencing(), fenceAck('s3', { epoch: 1, seq: 1, val: 'a' })).state;
    st = head.headFenced(st, fenceAck('s3', { epoch: 1, seq: 1, val: 'a' })).state;
    expect(st.fenced).toEqual(['s3']);
    expect(head.canRepair(st)).toBe(false); // F - 1 answers
    st = head.headFenced(st, fenceAck('s1', { epoch: 1, seq: 0, val: 'b' })).state;
    expect(st.fenced).toEqual(['s1', 's3']);
    expect(st.known).toEqual({ epoch: 1, seq: 1, val: 'a' });
    expect(head.canRepair(st)).toBe(true); // exactly F answers
    st = head.headFenced(st, fenceAck('s2', { epoch: 1, seq: 2, val: 'c' })).state;
    expect(st.known).toEqual({ epoch: 1, seq: 2, val: 'c' });
    expect(head.headFenced(st, fenceAck('s1')).effects).toEqual([]);
  });

  it('ignores a FenceAck for another head, another epoch, or outside fencing', () => {
    const st = fencing();
    for (const m of [fenceAck('s1', EMPTY_BLOCK, 1), fenceAck('s1', EMPTY_BLOCK, 2, 'h2')]) {
      expect(head.acceptsFenceAck(st, m)).toBe(false);
      expect(head.headFenced(st, m)).toEqual({ state: st, effects: [] });
    }
    expect(head.acceptsFenceAck(st, fenceAck('s1'))).toBe(true);
    expect(head.acceptsFenceAck(repairing(), fenceAck('s2'))).toBe(false);
    const r = head.headFenced(repairing(), fenceAck('s2', { epoch: 1, seq: 9, val: 'z' }));
    expect(r.state.known).toEqual({ epoch: 1, seq: 3, val: 'old' });
  });

  it('repairs the newest block under its own epoch: Write to every sled', () => {
    let st = head.headFenced(fencing(), fenceAck('s1', { epoch: 1, seq: 3, val: 'old' })).state;
    st = head.headFenced(st, fenceAck('s2')).state;
    const r = head.repair(st);
    const msg = { type: 'Write', credential: cred(2), seq: 3, val: 'old' };
    expect(r.effects).toEqual(cfg.sleds.map((to) => ({ type: 'send', to, msg })));
    expect(r.state).toEqual({ ...st, phase: 'repairing', pending: { seq: 3, val: 'old' }, acks: [] });
  });

  it('does not repair below F, twice, or without a credential', () => {
    const one = head.headFenced(fencing(), fenceAck('s1')).state;
    expect(head.repair(one)).toEqual({ state: one, effects: [] });
    const again = repairing();
    expect(head.canRepair(again)).toBe(false);
    expect(head.repair(again)).toEqual({ state: again, effects: [] });
    const noCred = { ...head.initHead(cfg), phase: 'fencing' as const, fenced: ['s1', 's2'] };
    expect(head.canRepair(noCred)).toBe(true);
    expect(head.repair(noCred)).toEqual({ state: noCred, effects: [] });
  });
});

describe('head: write quorum W', () => {
  it('the W-th ack of the repair write acknowledges it and starts serving', () => {
    const st = head.headAck(repairing(), writeAck('s3', 3));
    expect(st.effects).toEqual([]);
    expect(st.state.acks).toEqual(['s3']);
    expect(st.state.phase).toBe('repairing');
    const dup = head.headAck(st.state, writeAck('s3', 3));
    expect(dup.effects).toEqual([]);
    expect(dup.state.acks).toEqual(['s3']);
    const r = head.headAck(dup.state, writeAck('s1', 3));
    expect(replies(r.effects)).toEqual([
      { type: 'writeAcked', epoch: 2, seq: 3, val: 'old', repair: true },
      { type: 'serving', epoch: 2 },
    ]);
    expect(r.state).toEqual({
      ...dup.state, phase: 'serving', known: { epoch: 2, seq: 3, val: 'old' }, pending: null,
      acks: [],
    });
  });

  it('a client write runs seq on from the known block and is acked without "serving"', () => {
    const w = head.clientWrite(serving(), 'new');
    const msg = { type: 'Write', credential: cred(2), seq: 4, val: 'new' };
    expect(w.effects).toEqual(cfg.sleds.map((to) => ({ type: 'send', to, msg })));
    expect(w.state.pending).toEqual({ seq: 4, val: 'new' });
    expect(w.state.acks).toEqual([]);
    let st = head.headAck(w.state, writeAck('s2', 4)).state;
    const r = head.headAck(st, writeAck('s3', 4));
    expect(replies(r.effects)).toEqual([
      { type: 'writeAcked', epoch: 2, seq: 4, val: 'new', repair: false },
    ]);
    st = r.state;
    expect(st.known).toEqual({ epoch: 2, seq: 4, val: 'new' });
    expect(head.clientRead(st).effects).toEqual([
      { type: 'reply', reply: { type: 'readResult', val: 'new', epoch: 2, seq: 4 } },
    ]);
  });

  it('refuses a client write while busy or not serving, saying which', () => {
    const busy = head.clientWrite(serving(), 'a').state;
    expect(head.canClientWrite(busy)).toBe(false);
    expect(head.clientWrite(busy, 'b')).toEqual({ state: busy, effects: [
      { type: 'reply', reply: { type: 'error', code: 'BUSY', message: 'head is serving' } },
    ] });
    const st = repairing();
    expect(head.clientWrite(st, 'b')).toEqual({ state: st, effects: [
      { type: 'reply', reply: { type: 'error', code: 'NOT_SERVING', message: 'head is repairing' } },
    ] });
    const noCred = { ...head.initHead(cfg), phase: 'serving' as const };
    expect(head.canClientWrite(noCred)).toBe(true);
    expect(head.clientWrite(noCred, 'b').state).toBe(noCred);
  });

  it('ignores a WriteAck for another head, epoch, seq, phase, or with nothing pending', () => {
    const st = repairing();
    expect(head.acceptsWriteAck(st, writeAck('s1', 3))).toBe(true);
    for (const m of [writeAck('s1', 3, 1), writeAck('s1', 3, 2, 'h2'), writeAck('s1', 2)]) {
      expect(head.acceptsWriteAck(st, m)).toBe(false);
      expect(head.headAck(st, m)).toEqual({ state: st, effects: [] });
    }
    expect(head.acceptsWriteAck(withPhase(st, 'fencing'), writeAck('s1', 3))).toBe(false);
    expect(head.acceptsWriteAck(withPhase(st, 'paused'), writeAck('s1', 3))).toBe(false);
    expect(head.acceptsWriteAck(withPhase(st, 'serving'), writeAck('s1', 3))).toBe(true);
    expect(head.acceptsWriteAck(serving(), writeAck('s1', 3))).toBe(false);
  });
});

describe('head: fenced off, reads, migration', () => {
  it('steps down on Fenced in fencing, repairing and serving only', () => {
    const ok = head.PHASES.filter((p) => head.acceptsFenced(withPhase(repairing(), p), fenced('s1')));
    expect(ok).toEqual(['fencing', 'repairing', 'serving']);
    expect(head.acceptsFenced(repairing(), fenced('s1', 1))).toBe(false);
    expect(head.acceptsFenced(repairing(), fenced('s1', 2, 'h2'))).toBe(false);
    const idle = withPhase(repairing(), 'paused');
    expect(head.headFencedOff(idle, fenced('s1'))).toEqual({ state: idle, effects: [] });
  });

  it('fails the pending write, then steps down, and forgets what it knew', () => {
    const st = repairing();
    const r = head.headFencedOff(st, fenced('s2'));
    expect(replies(r.effects)).toEqual([
      { type: 'writeFailed', code: 'FENCED', epoch: 2, seq: 3 },
      { type: 'steppedDown', epoch: 2 },
    ]);
    expect(r.state).toEqual({
      ...st, phase: 'stepped-down', fenced: [], known: EMPTY_BLOCK, pending: null, acks: [],
    });
    const quiet = head.headFencedOff(fencing(), fenced('s2'));
    expect(replies(quiet.effects)).toEqual([{ type: 'steppedDown', epoch: 2 }]);
  });

  it('reads only while serving', () => {
    expect(head.PHASES.filter((p) => head.canRead(withPhase(serving(), p)))).toEqual(['serving']);
    const st = fencing();
    expect(head.clientRead(st)).toEqual({ state: st, effects: [
      { type: 'reply', reply: { type: 'error', code: 'NOT_SERVING', message: 'head is fencing' } },
    ] });
    const s = serving();
    expect(head.clientRead(s).state).toBe(s);
  });

  it('pauses for migration only while serving with nothing pending', () => {
    const s = serving();
    expect(head.migratePause(s)).toEqual({ state: { ...s, phase: 'paused' }, effects: [] });
    const busy = head.clientWrite(s, 'x').state;
    expect(head.canMigratePause(busy)).toBe(false);
    expect(head.migratePause(busy)).toEqual({ state: busy, effects: [] });
    const st = repairing();
    expect(head.canMigratePause(withPhase(st, 'repairing'))).toBe(false);
    expect(head.migratePause(st).state).toBe(st);
  });
});

describe('messages: versions and validation', () => {
  it('orders versions by epoch, then seq', () => {
    expect(newer({ epoch: 2, seq: 0 }, { epoch: 1, seq: 9 })).toBe(true);
    expect(newer({ epoch: 1, seq: 9 }, { epoch: 2, seq: 0 })).toBe(false);
    expect(newer({ epoch: 2, seq: 3 }, { epoch: 2, seq: 2 })).toBe(true);
    expect(newer({ epoch: 2, seq: 2 }, { epoch: 2, seq: 2 })).toBe(false);
    expect(newer({ epoch: 2, seq: 1 }, { epoch: 2, seq: 2 })).toBe(false);
    const a = { epoch: 2, seq: 2, val: 'a' };
    const b = { epoch: 2, seq: 2, val: 'b' };
    expect(maxBlock(a, b)).toBe(a);
    expect(maxBlock(b, { epoch: 2, seq: 3, val: 'c' })).toEqual({ epoch: 2, seq: 3, val: 'c' });
    expect(maxBlock({ epoch: 3, seq: 0, val: 'd' }, b)).toEqual({ epoch: 3, seq: 0, val: 'd' });
    expect(Object.isFrozen(EMPTY_BLOCK)).toBe(true);
  });

  it('names the first bad field, or the root, in a one-line error', () => {
    const bad = parseMessage({ type: 'Write', credential: cred(1), seq: -1, val: 'a' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('BAD_MESSAGE');
      expect(bad.error.message).toMatch(/^bad message \(seq: .+\)$/);
    }
    const root = parseMessage(42);
    expect(root.ok).toBe(false);
    if (!root.ok) expect(root.error.message).toMatch(/^bad message \(<root>: .+\)$/);
  });

  it('validates every message kind and the bounds of its fields', () => {
    const block = { epoch: 1, seq: 1, val: null };
    const good = [
      { type: 'Grant', credential: cred(1) },
      { type: 'Fence', credential: cred(1) },
      { type: 'FenceAck', sled: 's', head: 'h', epoch: 0, block },
      { type: 'Write', credential: cred(1), seq: 0, val: 'x'.repeat(4096) },
      { type: 'WriteAck', sled: 's'.repeat(64), head: 'h', epoch: 1, seq: 1 },
      { type: 'Fenced', sled: 's', head: 'h', epoch: 1 },
    ];
    for (const m of good) expect(parseMessage(m)).toEqual({ ok: true, msg: m });
    const bad = [
      { type: 'Write', credential: cred(1), seq: 0, val: 'x'.repeat(4097) },
      { type: 'WriteAck', sled: 's'.repeat(65), head: 'h', epoch: 1, seq: 1 },
      { type: 'Fenced', sled: '', head: 'h', epoch: 1 },
      { type: 'Fenced', sled: 's', head: 'h', epoch: 1.5 },
      { type: 'FenceAck', sled: 's', head: 'h', epoch: 0, block: { ...block, extra: 1 } },
      { type: 'Fence', credential: { ...cred(1), extra: 1 } },
      { type: 'Fence', credential: { ...cred(1), extent: '' } },
      { type: 'Fence', credential: { ...cred(1), mac: `0${cred(1).mac}` } },
      { type: 'Fence', credential: { ...cred(1), mac: `${cred(1).mac}0` } },
    ];
    for (const m of bad) expect(parseMessage(m).ok).toBe(false);
  });
});
