/**
 * fast-check model-based commands for consensus-txn. Operations are the spec actions of the
 * compositions (src/consensus/cluster.ts, src/txn/cluster.ts) that drive the real cores;
 * faults are commands too: a member crash/restart (volatile learner lost, durable acceptor
 * state and replica kept), proposer death (its volatile state lost; in the txn layer the spec's
 * Crash), duplicate delivery of an old Accept. The model is small: per slot, the value once
 * chosen (it never changes); per transaction, the outcome once decided or told (it never
 * changes, and a commit needs every vote). Invariants run after every command.
 */
import fc from 'fast-check';
import {
  ACTION_NAMES, acceptor, applyAction, chosenBar, defaultSteps, enabledActions, initCluster,
  learner, proposer, violatedInvariants,
} from '../../src/consensus/index.ts';
import type {
  ActionName, Cluster, ClusterConfig, ClusterSteps,
} from '../../src/consensus/index.ts';
import * as txn from '../../src/txn/index.ts';

// ---- one Paxos group ----------------------------------------------------------------------

export const PAXOS_MBT_CONFIG: ClusterConfig = {
  members: ['m1', 'm2', 'm3'], initialActive: ['m1', 'm2'], values: ['v1', 'v2'], numSlots: 2,
  maxBallot: 2, proposers: ['p0', 'p1', 'p2'], maxMsgs: 40,
};

interface PaxosModel { chosen: Record<number, string> }
interface PaxosReal { c: Cluster }
type PaxosCmd = fc.Command<PaxosModel, PaxosReal>;

function checkPaxos(m: PaxosModel, r: PaxosReal): void {
  const violated = violatedInvariants(r.c);
  if (violated.length > 0) throw new Error(`invariants violated: ${violated.join(', ')}`);
  chosenBar(r.c).forEach((vs, i) => {
    const slot = i + 1;
    if (vs.length > 1) throw new Error(`slot ${slot}: several values chosen ${vs.join(' ')}`);
    const v = vs[0];
    if (v === undefined) return;
    const before = m.chosen[slot];
    if (before !== undefined && before !== v) throw new Error(`slot ${slot}: ${before} -> ${v}`);
    m.chosen[slot] = v;
  });
}

class ActCmd implements PaxosCmd {
  constructor(readonly kind: ActionName, readonly pick: number) {}
  check = () => true;
  run(m: PaxosModel, r: PaxosReal): void {
    const xs = enabledActions(r.c).filter((a) => a.action === this.kind);
    const a = xs[this.pick % Math.max(1, xs.length)];
    if (a === undefined) return;
    const next = applyAction(r.c, a);
    if (!next.ok) throw new Error(`assertion: ${next.error.message}`);
    r.c = next.cluster;
    checkPaxos(m, r);
  }
  toString = () => `${this.kind}#${this.pick}`;
}

/** Fault: member crash and restart: acceptor from its durable state, learner empty. */
class CrashMemberCmd implements PaxosCmd {
  constructor(readonly member: string) {}
  check = () => true;
  run(m: PaxosModel, r: PaxosReal): void {
    const c = r.c;
    const q = c.steps.quorumSize(c.config.members.length);
    const acc = acceptor.initAcceptor(this.member, c.acceptors[this.member]!.durable);
    r.c = { ...c, acceptors: { ...c.acceptors, [this.member]: acc },
      learners: { ...c.learners, [this.member]: learner.initLearner({
        acceptors: c.config.members, quorumSize: q }) } };
    checkPaxos(m, r);
  }
  toString = () => `CrashRestart(${this.member})`;
}

/** Fault: a proposer dies and restarts with only its highest round (durable). */
class ProposerDeathCmd implements PaxosCmd {
  constructor(readonly p: string) {}
  check = () => true;
  run(m: PaxosModel, r: PaxosReal): void {
    const old = r.c.proposers[this.p]!;
    const fresh = { ...proposer.initProposer(old.config), highestRound: old.highestRound,
      ballot: old.ballot };
    r.c = { ...r.c, proposers: { ...r.c.proposers, [this.p]: fresh } };
    checkPaxos(m, r);
  }
  toString = () => `ProposerDeath(${this.p})`;
}

/** Fault: an old Accept delivered again (duplicate / reordered) to an active member. */
class RedeliverCmd implements PaxosCmd {
  constructor(readonly member: string, readonly pick: number) {}
  check = () => true;
  run(m: PaxosModel, r: PaxosReal): void {
    const c = r.c;
    const accepts = Object.values(c.msgs).filter((x) => x.type === 'Accept');
    const msg = accepts[this.pick % Math.max(1, accepts.length)];
    if (msg?.type !== 'Accept' || !c.membership.active.includes(this.member)) return;
    const step = c.steps.phase2b(c.acceptors[this.member]!, msg.ballot.proposer,
      c.config.members, msg);
    let msgs = c.msgs;
    for (const e of step.effects) {
      if (e.type === 'send' && e.msg.type === 'Accepted') {
        msgs = { ...msgs, [JSON.stringify(['2b', e.msg.from, e.msg.ballot, e.msg.slot,
          e.msg.value])]: e.msg };
      }
    }
    r.c = { ...c, acceptors: { ...c.acceptors, [this.member]: step.state }, msgs };
    checkPaxos(m, r);
  }
  toString = () => `Redeliver(${this.member}, accept#${this.pick})`;
}

/**
 * A whole ballot as one command (each step a real, enabled cluster action): Propose(v),
 * Phase1a(b), 1b from `promisers`, Phase2a(b, 1, v) (or the value the proposer must take),
 * 2b from `accepters`. Random single actions rarely line up so; this reaches the
 * competing-ballot states where bugs 3 and 4 show.
 */
class BallotCmd implements PaxosCmd {
  constructor(readonly b: number, readonly v: string, readonly promisers: string[],
    readonly accepters: string[]) {}
  check = () => true;
  private take(r: PaxosReal, kind: ActionName, fits: (label: string) => boolean): void {
    const a = enabledActions(r.c).find((x) => x.action === kind && fits(x.label));
    if (a === undefined) return;
    const next = applyAction(r.c, a);
    if (next.ok) r.c = next.cluster;
  }
  run(m: PaxosModel, r: PaxosReal): void {
    const cfg = r.c.config;
    const p = cfg.proposers[this.b % cfg.proposers.length]!;
    const round = Math.floor(this.b / cfg.proposers.length);
    const bal = `${round}.${p}`;
    this.take(r, 'Propose', (l) => l === `Propose(${this.v})`);
    this.take(r, 'Phase1a', (l) => l === `Phase1a(${this.b})`);
    for (const a of this.promisers) {
      this.take(r, 'Phase1b', (l) => l.startsWith(`Phase1b(${a}, 1a(${bal})`));
    }
    const own = `Phase2a(${this.b}, 1, ${this.v})`;
    this.take(r, 'Phase2a', (l) => l === own);
    this.take(r, 'Phase2a', (l) => l.startsWith(`Phase2a(${this.b}, 1,`));
    for (const a of this.accepters) {
      this.take(r, 'Phase2b', (l) => l.startsWith(`Phase2b(${a}, 2a(${bal},1,`));
    }
    checkPaxos(m, r);
  }
  toString = () => `Ballot(${this.b}, ${this.v}, 1b ${this.promisers}, 2b ${this.accepters})`;
}

export function paxosCommandArbs(config: ClusterConfig): fc.Arbitrary<PaxosCmd>[] {
  const pick = fc.nat({ max: 1 << 16 });
  const member = fc.constantFrom(...config.members);
  return [
    fc.tuple(fc.constantFrom(...ACTION_NAMES), pick).map(([k, p]) => new ActCmd(k, p)),
    fc.tuple(fc.constantFrom<ActionName>('Phase1b', 'Phase2b', 'Phase2a'), pick)
      .map(([k, p]) => new ActCmd(k, p)),
    member.map((a) => new CrashMemberCmd(a)),
    fc.constantFrom(...config.proposers).map((p) => new ProposerDeathCmd(p)),
    fc.tuple(member, pick).map(([a, p]) => new RedeliverCmd(a, p)),
    fc.tuple(fc.integer({ min: 0, max: config.maxBallot }), fc.constantFrom(...config.values),
      fc.subarray([...config.members]), fc.subarray([...config.members]))
      .map(([b, v, ps, as]) => new BallotCmd(b, v, ps, as)),
  ];
}

/** The Paxos model-based property (steps: the cluster's replaceable core steps). */
export function paxosModelProperty(steps: ClusterSteps = defaultSteps, maxCommands = 80,
  replayPath?: string) {
  const cmds = fc.commands(paxosCommandArbs(PAXOS_MBT_CONFIG),
    replayPath === undefined ? { maxCommands, size: 'max' }
      : { maxCommands, size: 'max', replayPath });
  return fc.property(cmds, (cs) => {
    fc.modelRun(() => ({ model: { chosen: {} }, real: { c: initCluster(PAXOS_MBT_CONFIG,
      steps) } }), cs);
  });
}

// ---- transactions -------------------------------------------------------------------------

interface TxnModel { outcome: Record<string, string> }
interface TxnReal { c: txn.Cluster }
type TxnCmd = fc.Command<TxnModel, TxnReal>;

function checkTxn(m: TxnModel, r: TxnReal): void {
  const violated = txn.violatedInvariants(r.c);
  if (violated.length > 0) throw new Error(`invariants violated: ${violated.join(', ')}`);
  for (const t of r.c.config.txns) {
    const decisions = new Set(Object.values(r.c.groups)
      .map((g) => g.replica.decisions[t.id]).filter((d) => d !== undefined));
    if (decisions.size > 1) throw new Error(`${t.id}: decided both ways`);
    const told = r.c.told[t.id];
    const toldAs = told === 'committed' ? 'commit' : told === 'aborted' ? 'abort' : undefined;
    const now = toldAs ?? [...decisions][0];
    if (now === undefined) continue;
    const before = m.outcome[t.id];
    if (before !== undefined && before !== now) throw new Error(`${t.id}: ${before} -> ${now}`);
    m.outcome[t.id] = now;
  }
}

class TxnActCmd implements TxnCmd {
  constructor(readonly kind: txn.ActionName, readonly pick: number) {}
  check = () => true;
  run(m: TxnModel, r: TxnReal): void {
    const xs = txn.enabledActions(r.c).filter((a) => a.action === this.kind);
    const a = xs[this.pick % Math.max(1, xs.length)];
    if (a === undefined) return;
    r.c = txn.applyAction(r.c, a);
    checkTxn(m, r);
  }
  toString = () => `${this.kind}#${this.pick}`;
}

export function txnModelProperty(config: txn.ClusterConfig, steps: txn.ClusterSteps =
  txn.defaultSteps, maxCommands = 60, replayPath?: string) {
  const pick = fc.nat({ max: 1 << 16 });
  const arbs = [
    fc.tuple(fc.constantFrom(...txn.ACTION_NAMES.filter((a) => a !== 'Crash')), pick)
      .map(([k, p]) => new TxnActCmd(k, p)),
    // Fault: proposer death (the spec's Crash), rarer than operations.
    fc.nat({ max: 1 << 16 }).map((p) => new TxnActCmd('Crash', p)),
  ];
  // Operations listed four times: proposer death about one command in five.
  const cmds = fc.commands([arbs[0]!, arbs[0]!, arbs[0]!, arbs[0]!, arbs[1]!],
    replayPath === undefined ? { maxCommands, size: 'max' }
      : { maxCommands, size: 'max', replayPath });
  return fc.property(cmds, (cs) => {
    fc.modelRun(() => ({ model: { outcome: {} }, real: { c: txn.initCluster(config, steps) } }),
      cs);
  });
}
