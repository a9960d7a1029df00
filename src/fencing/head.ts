/**
 * The head node (sans-IO) for one extent. All its state is volatile: a head that restarts
 * needs a new credential. Step functions mirror spec actions TakeOver (Grant / MigrateGrant),
 * HeadFenced, Repair, ClientWrite, HeadAck, HeadFencedOff, ClientRead, MigratePause. A step
 * whose guard does not hold (a stale or duplicate answer) returns the state unchanged.
 */
import type { Credential } from './credential.ts';
import {
  EMPTY_BLOCK,
  maxBlock,
  type Block,
  type FenceAckMsg,
  type FencedMsg,
  type Message,
  type WriteAckMsg,
} from './messages.ts';

export type Phase = 'idle' | 'fencing' | 'repairing' | 'serving' | 'paused' | 'stepped-down';
export const PHASES: readonly Phase[] = [
  'idle', 'fencing', 'repairing', 'serving', 'paused', 'stepped-down',
];

export interface HeadConfig {
  readonly id: string;
  readonly sleds: readonly string[];
  /** Write quorum. */
  readonly w: number;
  /** Fence quorum; w + f > sleds.length. */
  readonly f: number;
}
export interface PendingWrite {
  readonly seq: number;
  readonly val: string | null;
}
export interface HeadState {
  readonly config: HeadConfig;
  readonly credential: Credential | null;
  readonly phase: Phase;
  /** Sleds that answered the fence (sorted). */
  readonly fenced: readonly string[];
  /** The newest block learned in fencing, then the last block acknowledged. */
  readonly known: Block;
  readonly pending: PendingWrite | null;
  /** Sleds that acknowledged the pending write (sorted). */
  readonly acks: readonly string[];
}

export type ClientReply =
  | { type: 'writeAcked'; epoch: number; seq: number; val: string | null; repair: boolean }
  | { type: 'writeFailed'; code: 'FENCED'; epoch: number; seq: number }
  | { type: 'readResult'; val: string | null; epoch: number; seq: number }
  | { type: 'serving'; epoch: number }
  | { type: 'steppedDown'; epoch: number }
  | { type: 'error'; code: 'NOT_SERVING' | 'BUSY'; message: string };

export type HeadEffect =
  | { type: 'send'; to: string; msg: Message }
  | { type: 'reply'; reply: ClientReply };

export interface HeadStep {
  state: HeadState;
  effects: HeadEffect[];
}

export function initHead(config: HeadConfig): HeadState {
  if (config.w + config.f <= config.sleds.length) {
    throw new Error('assertion: W + F must exceed the number of sleds');
  }
  return {
    config,
    credential: null,
    phase: 'idle',
    fenced: [],
    known: EMPTY_BLOCK,
    pending: null,
    acks: [],
  };
}

/** The epoch of the head's credential, 0 before any. */
export function headEpoch(state: HeadState): number {
  return state.credential?.epoch ?? 0;
}

const addSorted = (xs: readonly string[], x: string): string[] =>
  xs.includes(x) ? [...xs] : [...xs, x].sort();

function errorReply(code: 'NOT_SERVING' | 'BUSY', state: HeadState): HeadEffect {
  return { type: 'reply', reply: { type: 'error', code, message: `head is ${state.phase}` } };
}

function broadcast(state: HeadState, msg: Message): HeadEffect[] {
  return state.config.sleds.map((to) => ({ type: 'send', to, msg }));
}

/** Guard of TakeOver: the head is idle or stepped down. */
export function canTakeOver(state: HeadState): boolean {
  return state.phase === 'idle' || state.phase === 'stepped-down';
}

/** Spec TakeOver(h): start fencing under a new credential: Fence to every sled. */
export function takeOver(state: HeadState, credential: Credential): HeadStep {
  if (credential.holder !== state.config.id) throw new Error('assertion: credential holder');
  // A late or duplicated grant of an epoch the head already held (or passed) changes nothing:
  // in the spec Grant always hands out issuerEpoch + 1, above every epoch a head holds.
  if (credential.epoch <= headEpoch(state)) return { state, effects: [] };
  const next: HeadState = {
    ...state,
    credential,
    phase: 'fencing',
    fenced: [],
    known: EMPTY_BLOCK,
    pending: null,
    acks: [],
  };
  return { state: next, effects: broadcast(next, { type: 'Fence', credential }) };
}

export function acceptsFenceAck(state: HeadState, m: FenceAckMsg): boolean {
  return m.head === state.config.id && m.epoch === headEpoch(state) && state.phase === 'fencing';
}

/** Spec HeadFenced(h, m): count the answer, keep the newest block. */
export function headFenced(state: HeadState, m: FenceAckMsg): HeadStep {
  if (!acceptsFenceAck(state, m)) return { state, effects: [] };
  const fenced = addSorted(state.fenced, m.sled);
  const next = { ...state, fenced, known: maxBlock(state.known, m.block) };
  return { state: next, effects: [] };
}

export function canRepair(state: HeadState): boolean {
  return state.phase === 'fencing' && state.fenced.length >= state.config.f;
}

/** Spec Repair(h): write the newest learned block back under the head's own epoch. */
export function repair(state: HeadState): HeadStep {
  if (!canRepair(state) || state.credential === null) return { state, effects: [] };
  const pending: PendingWrite = { seq: state.known.seq, val: state.known.val };
  const next: HeadState = { ...state, phase: 'repairing', pending, acks: [] };
  const msg: Message = { type: 'Write', credential: state.credential, ...pending };
  return { state: next, effects: broadcast(next, msg) };
}

export function canClientWrite(state: HeadState): boolean {
  return state.phase === 'serving' && state.pending === null;
}

/** Spec ClientWrite(h, v): send the next write (seq runs on from the known block). */
export function clientWrite(state: HeadState, val: string | null): HeadStep {
  if (!canClientWrite(state) || state.credential === null) {
    const code = state.phase === 'serving' ? 'BUSY' : 'NOT_SERVING';
    return { state, effects: [errorReply(code, state)] };
  }
  const pending: PendingWrite = { seq: state.known.seq + 1, val };
  const next: HeadState = { ...state, pending, acks: [] };
  const msg: Message = { type: 'Write', credential: state.credential, ...pending };
  return { state: next, effects: broadcast(next, msg) };
}

export function acceptsWriteAck(state: HeadState, m: WriteAckMsg): boolean {
  return (
    m.head === state.config.id &&
    m.epoch === headEpoch(state) &&
    (state.phase === 'repairing' || state.phase === 'serving') &&
    state.pending !== null &&
    m.seq === state.pending.seq
  );
}

/** Spec HeadAck(h, m): count an ack; the W-th acknowledges the write (and starts serving). */
export function headAck(state: HeadState, m: WriteAckMsg): HeadStep {
  if (!acceptsWriteAck(state, m) || state.pending === null) return { state, effects: [] };
  const acks = addSorted(state.acks, m.sled);
  if (acks.length < state.config.w) return { state: { ...state, acks }, effects: [] };
  const epoch = headEpoch(state);
  const known: Block = { epoch, seq: m.seq, val: state.pending.val };
  const repairing = state.phase === 'repairing';
  const next: HeadState = { ...state, known, pending: null, acks: [], phase: 'serving' };
  const effects: HeadEffect[] = [
    {
      type: 'reply',
      reply: { type: 'writeAcked', epoch, seq: m.seq, val: known.val, repair: repairing },
    },
  ];
  if (repairing) effects.push({ type: 'reply', reply: { type: 'serving', epoch } });
  return { state: next, effects };
}

export function acceptsFenced(state: HeadState, m: FencedMsg): boolean {
  return (
    m.head === state.config.id &&
    m.epoch === headEpoch(state) &&
    (state.phase === 'fencing' || state.phase === 'repairing' || state.phase === 'serving')
  );
}

/** Spec HeadFencedOff(h, m): a sled said the head is fenced off: step down. */
export function headFencedOff(state: HeadState, m: FencedMsg): HeadStep {
  if (!acceptsFenced(state, m)) return { state, effects: [] };
  const epoch = headEpoch(state);
  const effects: HeadEffect[] = [];
  if (state.pending !== null) {
    const seq = state.pending.seq;
    effects.push({ type: 'reply', reply: { type: 'writeFailed', code: 'FENCED', epoch, seq } });
  }
  effects.push({ type: 'reply', reply: { type: 'steppedDown', epoch } });
  const next: HeadState = {
    ...state, phase: 'stepped-down', fenced: [], known: EMPTY_BLOCK, pending: null, acks: [],
  };
  return { state: next, effects };
}

export function canRead(state: HeadState): boolean {
  return state.phase === 'serving';
}

/** Spec ClientRead(h): answer the known value; changes no state. */
export function clientRead(state: HeadState): HeadStep {
  if (!canRead(state)) {
    return { state, effects: [errorReply('NOT_SERVING', state)] };
  }
  const { val, epoch, seq } = state.known;
  return { state, effects: [{ type: 'reply', reply: { type: 'readResult', val, epoch, seq } }] };
}

export function canMigratePause(state: HeadState): boolean {
  return state.phase === 'serving' && state.pending === null;
}

/** Spec MigratePause(src, dst), source side: pause the instance; all its I/O stops. */
export function migratePause(state: HeadState): HeadStep {
  if (!canMigratePause(state)) return { state, effects: [] };
  return { state: { ...state, phase: 'paused' }, effects: [] };
}
