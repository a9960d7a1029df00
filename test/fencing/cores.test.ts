import { describe, expect, it } from 'vitest';
import {
  head, issuer, parseMessage, sled, signCredential,
  type Block, type FenceAckMsg, type Message, type SledEffect, type WriteMsg,
} from '../../src/fencing/index.ts';
import { KEY } from './helpers.ts';

const cred = (epoch: number, holder = 'h1') =>
  signCredential(KEY, { volume: 'vol', extent: '0', epoch, holder });
const write = (epoch: number, seq: number, val: string | null, holder = 'h1'): WriteMsg =>
  ({ type: 'Write', credential: cred(epoch, holder), seq, val });
const sent = (effects: readonly SledEffect[]): Message[] =>
  effects.flatMap((e) => (e.type === 'send' ? [e.msg] : []));

describe('sled', () => {
  const s0 = sled.initSled({ id: 's1', key: KEY });

  it('accepts a fence, persists maxEpoch before answering with its block', () => {
    const r = sled.sledFence(s0, { type: 'Fence', credential: cred(2) });
    expect(r.effects.map((e) => e.type)).toEqual(['persist', 'send']);
    expect(sled.sledExtent(r.state, 'vol/0').maxEpoch).toBe(2);
    expect(sent(r.effects)[0]).toMatchObject({ type: 'FenceAck', head: 'h1', epoch: 2 });
  });

  it('refuses a write of a fenced epoch with Fenced and writes nothing', () => {
    const fenced = sled.sledFence(s0, { type: 'Fence', credential: cred(2, 'h2') }).state;
    const r = sled.sledWrite(fenced, write(1, 1, 'a'));
    expect(r.effects).toEqual([
      { type: 'send', to: 'h1', msg: { type: 'Fenced', sled: 's1', head: 'h1', epoch: 1 } },
    ]);
    expect(r.state).toBe(fenced);
  });

  it('performs a write of an equal epoch: block, then maxEpoch, then the ack', () => {
    const fenced = sled.sledFence(s0, { type: 'Fence', credential: cred(2) }).state;
    const r = sled.sledWrite(fenced, write(2, 1, 'a'));
    expect(r.effects.map((e) => e.type)).toEqual(['writeBlock', 'persist', 'send']);
    expect(sled.sledExtent(r.state, 'vol/0').block).toEqual({ epoch: 2, seq: 1, val: 'a' });
  });

  it('acks a duplicate or older write without writing it again', () => {
    const s1 = sled.sledWrite(s0, write(1, 2, 'b')).state;
    const r = sled.sledWrite(s1, write(1, 1, 'a'));
    expect(r.effects.some((e) => e.type === 'writeBlock')).toBe(false);
    expect(sled.sledExtent(r.state, 'vol/0').block.val).toBe('b');
    expect(sent(r.effects)[0]?.type).toBe('WriteAck');
  });

  it('refuses and counts a bad MAC, for fences and writes', () => {
    const bad = { ...cred(5), mac: '0'.repeat(64) };
    const r1 = sled.sledWrite(s0, { type: 'Write', credential: bad, seq: 1, val: 'x' });
    const r2 = sled.sledFence(r1.state, { type: 'Fence', credential: bad });
    expect(r2.state.volatile.badMacCount).toBe(2);
    expect(r2.effects).toEqual([expect.objectContaining({ type: 'refused', code: 'BAD_MAC' })]);
    expect(sled.sledExtent(r2.state, 'vol/0').maxEpoch).toBe(0);
  });

  it('keeps durable state across a crash and loses the volatile part', () => {
    const bad = { ...cred(5), mac: '0'.repeat(64) };
    let st = sled.sledFence(s0, { type: 'Fence', credential: cred(3) }).state;
    st = sled.sledWrite(st, { type: 'Write', credential: bad, seq: 1, val: 'x' }).state;
    const restarted = sled.sledRestart(st.config, sled.sledCrash(st));
    expect(sled.sledExtent(restarted, 'vol/0').maxEpoch).toBe(3);
    expect(restarted.volatile.badMacCount).toBe(0);
    expect(sent(sled.sledWrite(restarted, write(2, 1, 'late')).effects)[0]?.type).toBe('Fenced');
  });
});

describe('issuer', () => {
  it('persists the next epoch before sending the credential, and survives a restart', () => {
    let st = issuer.initIssuer({ id: 'issuer', key: KEY });
    const g1 = issuer.grant(st, { volume: 'vol', extent: '0', holder: 'h1' });
    expect(g1.effects.map((e) => e.type)).toEqual(['persist', 'send']);
    st = issuer.issuerRestart(g1.state).state;
    const g2 = issuer.grant(st, { volume: 'vol', extent: '0', holder: 'h2' });
    expect([g1.credential.epoch, g2.credential.epoch]).toEqual([1, 2]);
    expect(issuer.issuerEpoch(g2.state, 'vol', '1')).toBe(0);
  });
});

describe('head', () => {
  const cfg = { id: 'h1', sleds: ['s1', 's2', 's3'], w: 2, f: 2 };
  const ack = (s: string, block: Block = { epoch: 1, seq: 3, val: 'old' }): FenceAckMsg =>
    ({ type: 'FenceAck', sled: s, head: 'h1', epoch: 2, block });

  function serving() {
    let st = head.takeOver(head.initHead(cfg), cred(2)).state;
    st = head.headFenced(st, ack('s1')).state;
    st = head.headFenced(st, ack('s2', { epoch: 0, seq: 0, val: null })).state;
    const rep = head.repair(st);
    expect(rep.effects).toHaveLength(3);
    expect(rep.state.pending).toEqual({ seq: 3, val: 'old' });
    const wack = (sled: string) =>
      ({ type: 'WriteAck' as const, sled, head: 'h1', epoch: 2, seq: 3 });
    st = head.headAck(rep.state, wack('s1')).state;
    return head.headAck(st, wack('s3'));
  }

  it('fences a quorum, repairs the newest block, then serves it', () => {
    const r = serving();
    expect(r.state.phase).toBe('serving');
    expect(r.effects.map((e) => (e.type === 'reply' ? e.reply.type : e.type)))
      .toEqual(['writeAcked', 'serving']);
    const read = head.clientRead(r.state).effects[0];
    const reply = { type: 'readResult', val: 'old', epoch: 2, seq: 3 };
    expect(read).toEqual({ type: 'reply', reply });
  });

  it('does not repair before a fence quorum and refuses reads before serving', () => {
    let st = head.takeOver(head.initHead(cfg), cred(2)).state;
    st = head.headFenced(st, ack('s1')).state;
    expect(head.canRepair(st)).toBe(false);
    expect(head.clientRead(st).effects[0])
      .toMatchObject({ reply: { type: 'error', code: 'NOT_SERVING' } });
  });

  it('steps down on Fenced and fails the pending write', () => {
    const st = head.clientWrite(serving().state, 'new').state;
    const r = head.headFencedOff(st, { type: 'Fenced', sled: 's2', head: 'h1', epoch: 2 });
    expect(r.state.phase).toBe('stepped-down');
    expect(r.effects[0]).toMatchObject({ reply: { type: 'writeFailed', code: 'FENCED', seq: 4 } });
  });

  it('ignores answers for another epoch', () => {
    const st = head.clientWrite(serving().state, 'new').state;
    const fenced = { type: 'Fenced' as const, sled: 's2', head: 'h1', epoch: 1 };
    const wack = { type: 'WriteAck' as const, sled: 's2', head: 'h1', epoch: 1, seq: 4 };
    expect(head.headFencedOff(st, fenced).state).toBe(st);
    expect(head.headAck(st, wack).state).toBe(st);
  });
});

describe('messages', () => {
  it('validates untrusted frames', () => {
    expect(parseMessage({ type: 'Write', credential: cred(1), seq: 1, val: 'a' }).ok).toBe(true);
    const bad = parseMessage({ type: 'Write', credential: cred(1), seq: -1, val: 'a' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
    expect(parseMessage({ type: 'Nope' }).ok).toBe(false);
  });
});

describe('head.takeOver guards against stale grants', () => {
  it('ignores a credential whose epoch is not above the one the head holds', async () => {
    const { head, signCredential } = await import('../../src/fencing/index.ts');
    const key = new Uint8Array(32).fill(3);
    const cred = (epoch: number) =>
      signCredential(key, { volume: 'v', extent: 'e', epoch, holder: 'h1' });
    let h = head.initHead({ id: 'h1', sleds: ['s1', 's2', 's3'], w: 2, f: 2 });
    h = head.takeOver(h, cred(2)).state;
    expect(h.phase).toBe('fencing');
    const again = head.takeOver(h, cred(2));
    expect(again.effects).toEqual([]);
    expect(again.state).toBe(h);
    const older = head.takeOver(h, cred(1));
    expect(older.effects).toEqual([]);
    expect(older.state.credential?.epoch).toBe(2);
    const newer = head.takeOver(h, cred(3));
    expect(newer.state.credential?.epoch).toBe(3);
    expect(newer.effects.length).toBe(3);
  });
});
