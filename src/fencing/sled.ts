/**
 * The sled controller (sans-IO): per extent a durable maxEpoch and stored block. Fence and
 * Write carry a credential; a bad MAC is refused and counted. An epoch at least maxEpoch is
 * accepted and made durable before the answer; a lower one is answered Fenced (US10484015B2).
 * Step functions mirror spec actions SledFence, SledWrite, SledCrash, SledRestart.
 */
import { extentKey, verifyCredential, type Credential } from './credential.ts';
import {
  EMPTY_BLOCK,
  newer,
  type Block,
  type FenceMsg,
  type FencedMsg,
  type Message,
  type WriteMsg,
} from './messages.ts';

export interface SledConfig {
  readonly id: string;
  readonly key: Uint8Array;
}
export interface ExtentDurable {
  readonly maxEpoch: number;
  readonly block: Block;
}
export interface SledDurable {
  /** Per `volume/extent`; an absent extent has maxEpoch 0 and the empty block. */
  readonly extents: Readonly<Record<string, ExtentDurable>>;
}
export interface SledVolatile {
  /** Fence and Write messages refused for a bad MAC since the last start. */
  readonly badMacCount: number;
}
export interface SledState {
  readonly config: SledConfig;
  readonly durable: SledDurable;
  readonly volatile: SledVolatile;
}

export type SledEffect =
  | { type: 'persist'; durable: SledDurable }
  | { type: 'writeBlock'; extent: string; block: Block }
  | { type: 'send'; to: string; msg: Message }
  | { type: 'refused'; code: 'BAD_MAC'; message: string };

export interface SledStep {
  state: SledState;
  effects: SledEffect[];
}

const EMPTY_EXTENT: ExtentDurable = { maxEpoch: 0, block: EMPTY_BLOCK };

export function initSled(config: SledConfig, durable?: SledDurable): SledState {
  return { config, durable: durable ?? { extents: {} }, volatile: { badMacCount: 0 } };
}

/** The durable state of one extent at a sled. */
export function sledExtent(state: SledState, key: string): ExtentDurable {
  return state.durable.extents[key] ?? EMPTY_EXTENT;
}

function refuseBadMac(state: SledState, cred: Credential): SledStep {
  const volatile = { badMacCount: state.volatile.badMacCount + 1 };
  const message = `bad credential MAC from ${cred.holder} for ${extentKey(cred)}`;
  const effects: SledEffect[] = [{ type: 'refused', code: 'BAD_MAC', message }];
  return { state: { ...state, volatile }, effects };
}

function fencedAnswer(state: SledState, cred: Credential): FencedMsg {
  return { type: 'Fenced', sled: state.config.id, head: cred.holder, epoch: cred.epoch };
}

function withExtent(state: SledState, key: string, ext: ExtentDurable): SledState {
  return { ...state, durable: { extents: { ...state.durable.extents, [key]: ext } } };
}

/** Spec SledFence(s, m): accept the epoch (durably) and answer the block, or answer Fenced. */
export function sledFence(state: SledState, msg: FenceMsg): SledStep {
  const cred = msg.credential;
  if (!verifyCredential(state.config.key, cred)) return refuseBadMac(state, cred);
  const key = extentKey(cred);
  const ext = sledExtent(state, key);
  if (!acceptsEpoch(ext, cred.epoch)) {
    return { state, effects: [{ type: 'send', to: cred.holder, msg: fencedAnswer(state, cred) }] };
  }
  const next = withExtent(state, key, { maxEpoch: cred.epoch, block: ext.block });
  const answer: Message = {
    type: 'FenceAck',
    sled: state.config.id,
    head: cred.holder,
    epoch: cred.epoch,
    block: ext.block,
  };
  return {
    state: next,
    effects: [
      { type: 'persist', durable: next.durable },
      { type: 'send', to: cred.holder, msg: answer },
    ],
  };
}

/** The fencing rule: an epoch is accepted when it is at least the highest accepted. */
export function acceptsEpoch(ext: ExtentDurable, epoch: number): boolean {
  return epoch >= ext.maxEpoch;
}

/**
 * Spec SledWrite(s, m): an accepted epoch becomes maxEpoch; the block is written if newer
 * than the stored one (duplicates and older messages change nothing); then WriteAck.
 */
export function sledWrite(state: SledState, msg: WriteMsg): SledStep {
  const cred = msg.credential;
  if (!verifyCredential(state.config.key, cred)) return refuseBadMac(state, cred);
  const key = extentKey(cred);
  const ext = sledExtent(state, key);
  if (!acceptsEpoch(ext, cred.epoch)) {
    return { state, effects: [{ type: 'send', to: cred.holder, msg: fencedAnswer(state, cred) }] };
  }
  const block: Block = { epoch: cred.epoch, seq: msg.seq, val: msg.val };
  const stores = newer(block, ext.block);
  const next = withExtent(state, key, {
    maxEpoch: cred.epoch,
    block: stores ? block : ext.block,
  });
  const effects: SledEffect[] = [];
  if (stores) effects.push({ type: 'writeBlock', extent: key, block });
  effects.push({ type: 'persist', durable: next.durable });
  effects.push({
    type: 'send',
    to: cred.holder,
    msg: {
      type: 'WriteAck', sled: state.config.id, head: cred.holder, epoch: cred.epoch, seq: msg.seq,
    },
  });
  return { state: next, effects };
}

/** Spec SledCrash(s): the volatile part is lost; the durable part is what survives. */
export function sledCrash(state: SledState): SledDurable {
  return state.durable;
}

/** Spec SledRestart(s): start again from the durable state. */
export function sledRestart(config: SledConfig, durable: SledDurable): SledState {
  return initSled(config, durable);
}
