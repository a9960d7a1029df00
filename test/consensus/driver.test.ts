/**
 * The cores under a small deterministic driver (not the cluster): two proposers duel over a
 * network that loses, duplicates and reorders, with leader retries driven by `tick(nowMs)`.
 * Learners must agree slot by slot; then, with one proposer alone and a calm network, every
 * entry submitted to it is chosen (the liveness the sheet asks for, on this schedule).
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  acceptor, canonicalEntry, learner, proposer, type Entry, type Message,
} from '../../src/consensus/index.ts';

const MEMBERS = ['a1', 'a2', 'a3'];
const PROPOSERS = ['p1', 'p2'];
interface Packet { readonly from: string; readonly to: string; readonly msg: Message }
interface World {
  acc: Record<string, acceptor.AcceptorState>;
  prop: Record<string, proposer.ProposerState>;
  learn: Record<string, learner.LearnerState>;
  net: Packet[];
  nowMs: number;
  /** Every Accepted message ever sent: `${slot}|${ballot}|${entry}` -> acceptors. */
  accepted: Map<string, Set<string>>;
  /** The acceptor's Phase2b step (replaced by the bug-3 test). */
  onAccept: typeof acceptor.onAccept;
}

function newWorld(onAccept = acceptor.onAccept): World {
  const cfg = (id: string) => ({
    id, acceptors: MEMBERS, quorumSize: 2, retryTimeoutMs: 50, noop: 'noop',
  });
  return {
    acc: Object.fromEntries(MEMBERS.map((a) => [a, acceptor.initAcceptor(a)])),
    prop: Object.fromEntries(PROPOSERS.map((p) => [p, proposer.initProposer(cfg(p))])),
    learn: Object.fromEntries(MEMBERS.map((a) =>
      [a, learner.initLearner({ acceptors: MEMBERS, quorumSize: 2 })])),
    net: [],
    nowMs: 0,
    accepted: new Map(),
    onAccept,
  };
}

type AnyEffect = acceptor.AcceptorEffect | proposer.ProposerEffect;
function send(w: World, from: string, effects: readonly AnyEffect[]): void {
  for (const s of effects) {
    if (s.type !== 'send') continue;
    if (s.msg.type === 'Accepted') {
      const m = s.msg;
      const k = `${m.slot}|${m.ballot.round}.${m.ballot.proposer}|${canonicalEntry(m.value)}`;
      w.accepted.set(k, (w.accepted.get(k) ?? new Set()).add(m.from));
    }
    for (const to of s.to) w.net.push({ from, to, msg: s.msg });
  }
}

function deliver(w: World, p: Packet): void {
  const { msg, to } = p;
  if (MEMBERS.includes(to)) {
    if (msg.type === 'Prepare') {
      const st = acceptor.onPrepare(w.acc[to]!, p.from, msg);
      w.acc[to] = st.state;
      send(w, to, st.effects);
    } else if (msg.type === 'Accept') {
      const st = w.onAccept(w.acc[to]!, p.from, MEMBERS, msg);
      w.acc[to] = st.state;
      send(w, to, st.effects);
    } else if (msg.type === 'Accepted') {
      w.learn[to] = learner.onAccepted(w.learn[to]!, msg).state;
    }
    return;
  }
  let st = w.prop[to]!;
  if (msg.type === 'Promise') {
    st = proposer.onPromise(st, msg);
    const step = proposer.pump(st);
    st = step.state;
    send(w, to, step.effects);
  } else if (msg.type === 'Accepted') {
    st = proposer.onAccepted(st, msg).state;
  } else if (msg.type === 'Preempted') {
    st = proposer.onPreempted(st, msg);
  }
  w.prop[to] = st;
}

function tick(w: World, p: string): void {
  const step = proposer.tick(w.prop[p]!, w.nowMs);
  w.prop[p] = step.state;
  send(w, p, step.effects);
}

/** At most one entry per slot was accepted by a quorum in one ballot (chosenBar). */
function chosenUnique(w: World): boolean {
  const bySlot = new Map<string, Set<string>>();
  for (const [k, from] of w.accepted) {
    if (from.size < 2) continue;
    const [slot, , entry] = k.split('|') as [string, string, string];
    bySlot.set(slot, (bySlot.get(slot) ?? new Set()).add(entry));
  }
  return [...bySlot.values()].every((vs) => vs.size <= 1);
}

function agreement(w: World): boolean {
  if (!chosenUnique(w)) return false;
  const slots = new Set(MEMBERS.flatMap((a) => Object.keys(w.learn[a]!.chosen)));
  return [...slots].every((s) => new Set(MEMBERS.flatMap((a) => {
    const v = w.learn[a]!.chosen[Number(s)];
    return v === undefined ? [] : [canonicalEntry(v)];
  })).size <= 1);
}

type Cmd =
  | { k: 'deliver'; i: number; dup: boolean }
  | { k: 'drop'; i: number }
  | { k: 'tick'; p: number; advanceMs: number }
  | { k: 'submit'; p: number; v: number };
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    k: fc.constant('deliver' as const), i: fc.nat(), dup: fc.boolean(),
  }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('drop' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({
    k: fc.constant('tick' as const), p: fc.nat({ max: 1 }), advanceMs: fc.nat({ max: 80 }),
  }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('submit' as const), p: fc.nat({ max: 1 }),
    v: fc.nat({ max: 99 }) }) },
);

function runCmd(w: World, c: Cmd, submitted: Entry[][]): void {
  switch (c.k) {
    case 'deliver': {
      if (w.net.length === 0) return;
      const i = c.i % w.net.length;
      const p = w.net[i]!;
      if (!c.dup) w.net.splice(i, 1);
      deliver(w, p);
      return;
    }
    case 'drop':
      if (w.net.length > 0) w.net.splice(c.i % w.net.length, 1);
      return;
    case 'tick':
      w.nowMs += c.advanceMs;
      tick(w, PROPOSERS[c.p]!);
      return;
    case 'submit': {
      const p = PROPOSERS[c.p]!;
      const v = `${p}-${c.v}-${submitted[c.p]!.length}`;
      submitted[c.p]!.push(v);
      const step = proposer.submit(w.prop[p]!, v);
      w.prop[p] = step.state;
      send(w, p, step.effects);
      return;
    }
    default: {
      const never: never = c;
      throw new Error(`assertion: ${JSON.stringify(never)}`);
    }
  }
}

/** Calm phase: only p1 ticks; the network delivers everything in order, no loss. */
function calm(w: World, maxRounds: number): void {
  for (let r = 0; r < maxRounds; r += 1) {
    w.nowMs += 60;
    tick(w, 'p1');
    let budget = 10_000;
    while (w.net.length > 0 && budget-- > 0) deliver(w, w.net.shift()!);
    const p = w.prop.p1!;
    if (p.queue.length === 0 && Object.keys(p.clientSlots).length === 0) return;
  }
}

describe('cores under a lossy driver', () => {
  test.prop([fc.array(cmdArb, { minLength: 10, maxLength: 150 })], { numRuns: 80 })(
    'learners agree under duels and loss; p1 alone then gets every entry chosen',
    (cmds) => {
      const w = newWorld();
      const submitted: Entry[][] = [[], []];
      for (const c of cmds) {
        runCmd(w, c, submitted);
        expect(agreement(w)).toBe(true);
        expect(w.net.length).toBeLessThan(5_000);
      }
      w.prop.p1 = proposer.submit(w.prop.p1!, 'final').state;
      submitted[0]!.push('final');
      calm(w, 20);
      expect(agreement(w)).toBe(true);
      const chosen = new Set(Object.values(w.prop.p1!.chosen).map(canonicalEntry));
      const known = new Set([...submitted.flat(), 'noop'].map(canonicalEntry));
      for (const a of MEMBERS) {
        for (const v of Object.values(w.learn[a]!.chosen)) {
          expect(known.has(canonicalEntry(v))).toBe(true);
        }
      }
      for (const v of submitted[0]!) expect(chosen.has(canonicalEntry(v))).toBe(true);
    },
  );

  test('the same driver catches bug 3 (accept below the promise)', () => {
    const property = fc.property(fc.array(cmdArb, { minLength: 30, maxLength: 150 }), (cmds) => {
      const w = newWorld(acceptor.acceptUnchecked);
      const submitted: Entry[][] = [[], []];
      for (const c of cmds) {
        runCmd(w, c, submitted);
        if (!agreement(w)) throw new Error('learners disagree');
      }
    });
    const r = fc.check(property, { numRuns: 2000, seed: 7, endOnFailure: true });
    expect(r.failed).toBe(true);
    expect(String(r.errorInstance)).toMatch(/learners disagree/);
  });
});
