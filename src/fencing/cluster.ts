/**
 * A pure, deterministic composition of one issuer, the heads and the sleds of ONE extent with
 * a global message set that only grows, mirroring spec/fencing/Fencing.tla action by action:
 * the same action names, parameters and guards. Graph replay, trace validation and random
 * walks drive the real cores through it. The ghost fields (hiEpoch, performed, acked) are
 * observations of effects, not protocol state.
 */
import { grant, initIssuer, issuerEpoch, issuerRestart, type IssuerState } from './issuer.ts';
import * as head from './head.ts';
import type { HeadEffect, HeadState } from './head.ts';
import {
  initSled, sledCrash, sledFence, sledRestart, sledWrite, type SledEffect, type SledState,
} from './sled.ts';
import type { Message } from './messages.ts';

export interface ClusterConfig {
  readonly sleds: readonly string[];
  readonly heads: readonly string[];
  readonly values: readonly string[];
  readonly w: number;
  readonly f: number;
  /** Model bounds of the spec (Grant, ClientWrite and SledCrash guards). */
  readonly maxEpoch: number;
  readonly maxSeq: number;
  readonly maxCrashes: number;
  /** The spec's MsgBound state constraint: no action is enabled past it. */
  readonly maxMsgs?: number;
  readonly key: Uint8Array;
  readonly volume: string;
  readonly extent: string;
}
export interface Migration {
  readonly src: string;
  readonly dst: string;
  readonly granted: boolean;
}
export interface PerformedWrite {
  readonly epoch: number;
  readonly accepted: number;
}
export interface AckedWrite {
  readonly holder: string;
  readonly epoch: number;
  readonly seq: number;
  readonly val: string | null;
}
export interface Cluster {
  readonly config: ClusterConfig;
  readonly issuer: IssuerState;
  readonly heads: Readonly<Record<string, HeadState>>;
  readonly sleds: Readonly<Record<string, SledState>>;
  readonly up: Readonly<Record<string, boolean>>;
  /** Every message ever sent (Grant excluded), keyed by msgKey, in order of first send. */
  readonly msgs: Readonly<Record<string, Message>>;
  readonly migration: Migration | null;
  readonly crashes: number;
  readonly hiEpoch: Readonly<Record<string, number>>;
  readonly performed: Readonly<Record<string, readonly PerformedWrite[]>>;
  readonly acked: readonly AckedWrite[];
}

export type ClusterAction =
  | { action: 'Grant'; params: { h: string }; label: string }
  | { action: 'IssuerRestart'; params: Record<string, never>; label: string }
  | { action: 'SledFence'; params: { s: string; m: Message }; label: string }
  | { action: 'HeadFenced'; params: { h: string; m: Message }; label: string }
  | { action: 'Repair'; params: { h: string }; label: string }
  | { action: 'ClientWrite'; params: { h: string; v: string }; label: string }
  | { action: 'SledWrite'; params: { s: string; m: Message }; label: string }
  | { action: 'HeadAck'; params: { h: string; m: Message }; label: string }
  | { action: 'HeadFencedOff'; params: { h: string; m: Message }; label: string }
  | { action: 'ClientRead'; params: { h: string }; label: string }
  | { action: 'SledCrash'; params: { s: string }; label: string }
  | { action: 'SledRestart'; params: { s: string }; label: string }
  | { action: 'MigratePause'; params: { src: string; dst: string }; label: string }
  | { action: 'MigrateGrant'; params: Record<string, never>; label: string };
export type ActionName = ClusterAction['action'];

export const ACTION_NAMES: readonly ActionName[] = [
  'Grant', 'IssuerRestart', 'SledFence', 'HeadFenced', 'Repair', 'ClientWrite', 'SledWrite',
  'HeadAck', 'HeadFencedOff', 'ClientRead', 'SledCrash', 'SledRestart', 'MigratePause',
  'MigrateGrant',
];

/** The spec-visible content of a message: what makes two messages the same element of msgs. */
export function msgKey(m: Message): string {
  switch (m.type) {
    case 'Grant':
    case 'Fence':
      return JSON.stringify([m.type, m.credential.holder, m.credential.epoch]);
    case 'Write':
      return JSON.stringify([m.type, m.credential.holder, m.credential.epoch, m.seq, m.val]);
    case 'FenceAck':
      return JSON.stringify([
        m.type, m.sled, m.head, m.epoch, m.block.epoch, m.block.seq, m.block.val,
      ]);
    case 'WriteAck':
      return JSON.stringify([m.type, m.sled, m.head, m.epoch, m.seq]);
    case 'Fenced':
      return JSON.stringify([m.type, m.sled, m.head, m.epoch]);
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
}

export function initCluster(config: ClusterConfig): Cluster {
  if (config.w + config.f <= config.sleds.length) throw new Error('assertion: W + F > N');
  const byId = <T>(ids: readonly string[], f: (id: string) => T): Record<string, T> =>
    Object.fromEntries(ids.map((id) => [id, f(id)]));
  return {
    config,
    issuer: initIssuer({ id: 'issuer', key: config.key }),
    heads: byId(config.heads, (id) =>
      head.initHead({ id, sleds: config.sleds, w: config.w, f: config.f })),
    sleds: byId(config.sleds, (id) => initSled({ id, key: config.key })),
    up: byId(config.sleds, () => true),
    msgs: {},
    migration: null,
    crashes: 0,
    hiEpoch: byId(config.sleds, () => 0),
    performed: byId(config.sleds, () => []),
    acked: [],
  };
}

/** The issuer's counter for the cluster's extent (the spec's issuerEpoch). */
export function clusterIssuerEpoch(c: Cluster): number {
  return issuerEpoch(c.issuer, c.config.volume, c.config.extent);
}

function get<T>(rec: Readonly<Record<string, T>>, id: string): T {
  const v = rec[id];
  if (v === undefined) throw new Error(`assertion: unknown node ${id}`);
  return v;
}

export function describeMsg(m: Message): string {
  switch (m.type) {
    case 'Grant':
    case 'Fence':
      return `${m.type}(${m.credential.holder}@${m.credential.epoch})`;
    case 'Write':
      return `Write(${m.credential.holder}@${m.credential.epoch},${m.seq},${m.val ?? 'NoValue'})`;
    case 'FenceAck':
      return `FenceAck(${m.sled}->${m.head}@${m.epoch},${m.block.epoch}.${m.block.seq})`;
    case 'WriteAck':
      return `WriteAck(${m.sled}->${m.head}@${m.epoch},${m.seq})`;
    case 'Fenced':
      return `Fenced(${m.sled}->${m.head}@${m.epoch})`;
    default: {
      const never: never = m;
      return String(never);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Enabled actions: the spec's guards, evaluated on the cores' own predicates.

function msgActions(c: Cluster, ms: readonly Message[]): ClusterAction[] {
  const out: ClusterAction[] = [];
  const { sleds, heads } = c.config;
  for (const s of sleds) {
    for (const m of ms) {
      if (c.up[s] && m.type === 'Fence') {
        const label = `SledFence(${s}, ${describeMsg(m)})`;
        out.push({ action: 'SledFence', params: { s, m }, label });
      }
    }
  }
  for (const h of heads) {
    const hs = get(c.heads, h);
    for (const m of ms) {
      if (m.type === 'FenceAck' && head.acceptsFenceAck(hs, m)) {
        const label = `HeadFenced(${h}, ${describeMsg(m)})`;
        out.push({ action: 'HeadFenced', params: { h, m }, label });
      }
    }
  }
  return out;
}

function writeActions(c: Cluster, ms: readonly Message[]): ClusterAction[] {
  const out: ClusterAction[] = [];
  for (const s of c.config.sleds) {
    for (const m of ms) {
      if (c.up[s] && m.type === 'Write') {
        const label = `SledWrite(${s}, ${describeMsg(m)})`;
        out.push({ action: 'SledWrite', params: { s, m }, label });
      }
    }
  }
  for (const h of c.config.heads) {
    const hs = get(c.heads, h);
    for (const m of ms) {
      if (m.type === 'WriteAck' && head.acceptsWriteAck(hs, m)) {
        const label = `HeadAck(${h}, ${describeMsg(m)})`;
        out.push({ action: 'HeadAck', params: { h, m }, label });
      }
    }
  }
  for (const h of c.config.heads) {
    const hs = get(c.heads, h);
    for (const m of ms) {
      if (m.type === 'Fenced' && head.acceptsFenced(hs, m)) {
        const label = `HeadFencedOff(${h}, ${describeMsg(m)})`;
        out.push({ action: 'HeadFencedOff', params: { h, m }, label });
      }
    }
  }
  return out;
}

function headActions(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = [];
  const { heads, values, maxEpoch, maxSeq } = c.config;
  const canGrant = clusterIssuerEpoch(c) < maxEpoch;
  for (const h of heads) {
    const hs = get(c.heads, h);
    if (canGrant && head.canTakeOver(hs)) {
      out.push({ action: 'Grant', params: { h }, label: `Grant(${h})` });
    }
    if (head.canRepair(hs)) out.push({ action: 'Repair', params: { h }, label: `Repair(${h})` });
    if (head.canClientWrite(hs) && hs.known.seq < maxSeq) {
      for (const v of values) {
        out.push({ action: 'ClientWrite', params: { h, v }, label: `ClientWrite(${h}, ${v})` });
      }
    }
    if (head.canRead(hs)) {
      out.push({ action: 'ClientRead', params: { h }, label: `ClientRead(${h})` });
    }
  }
  return out;
}

function faultAndMigrationActions(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = [];
  for (const s of c.config.sleds) {
    if (c.up[s] && c.crashes < c.config.maxCrashes) {
      out.push({ action: 'SledCrash', params: { s }, label: `SledCrash(${s})` });
    }
    if (!c.up[s]) out.push({ action: 'SledRestart', params: { s }, label: `SledRestart(${s})` });
  }
  for (const src of c.config.heads) {
    for (const dst of c.config.heads) {
      const ok = c.migration === null && src !== dst &&
        head.canMigratePause(get(c.heads, src)) && head.canTakeOver(get(c.heads, dst));
      const label = `MigratePause(${src}, ${dst})`;
      if (ok) out.push({ action: 'MigratePause', params: { src, dst }, label });
    }
  }
  const mg = c.migration;
  if (mg !== null && !mg.granted && head.canTakeOver(get(c.heads, mg.dst)) &&
      clusterIssuerEpoch(c) < c.config.maxEpoch) {
    out.push({ action: 'MigrateGrant', params: {}, label: 'MigrateGrant' });
  }
  return out;
}

/** The actions whose guards hold, before the MsgBound constraint is applied. */
function guardedActions(c: Cluster): ClusterAction[] {
  const ms = Object.values(c.msgs);
  return [
    ...headActions(c),
    { action: 'IssuerRestart', params: {}, label: 'IssuerRestart' },
    ...msgActions(c, ms),
    ...writeActions(c, ms),
    ...faultAndMigrationActions(c),
  ];
}

/** The spec's MsgBound state constraint (always true without maxMsgs). */
export function withinBounds(c: Cluster): boolean {
  const max = c.config.maxMsgs;
  return max === undefined || Object.keys(c.msgs).length <= max;
}

/**
 * Every action the spec enables in this state, as TLC explores them: like TLC, successors
 * that violate the MsgBound constraint are not generated.
 */
export function enabledActions(c: Cluster): ClusterAction[] {
  const all = guardedActions(c);
  if (c.config.maxMsgs === undefined) return all;
  return all.filter((a) => withinBounds(step(c, a)));
}

// ---------------------------------------------------------------------------------------------
// Applying an action: run the cores, put sent messages into msgs, observe ghosts.

function addMsgs(c: Cluster, effects: readonly (HeadEffect | SledEffect)[]): Cluster {
  let msgs: Record<string, Message> | null = null;
  for (const e of effects) {
    if (e.type !== 'send' || e.msg.type === 'Grant') continue;
    const k = msgKey(e.msg);
    if (c.msgs[k] !== undefined || msgs?.[k] !== undefined) continue;
    msgs ??= { ...c.msgs };
    msgs[k] = e.msg;
  }
  return msgs === null ? c : { ...c, msgs };
}

function withHead(c: Cluster, h: string, hs: HeadState): Cluster {
  return { ...c, heads: { ...c.heads, [h]: hs } };
}

function doTakeOver(c: Cluster, h: string): Cluster {
  const g = grant(c.issuer, { volume: c.config.volume, extent: c.config.extent, holder: h });
  const step = head.takeOver(get(c.heads, h), g.credential);
  return addMsgs(withHead({ ...c, issuer: g.state }, h, step.state), step.effects);
}

function doSled(c: Cluster, s: string, m: Message): Cluster {
  if (m.type !== 'Fence' && m.type !== 'Write') throw new Error('assertion: sled message');
  const before = get(c.sleds, s);
  const step = m.type === 'Fence' ? sledFence(before, m) : sledWrite(before, m);
  const hi = get(c.hiEpoch, s);
  const accepted = step.effects.some((e) => e.type === 'persist');
  const epoch = m.credential.epoch;
  let performed = get(c.performed, s);
  for (const e of step.effects) {
    if (e.type !== 'writeBlock') continue;
    const w = { epoch: e.block.epoch, accepted: hi };
    if (!performed.some((p) => p.epoch === w.epoch && p.accepted === w.accepted)) {
      performed = [...performed, w];
    }
  }
  const next: Cluster = {
    ...c,
    sleds: { ...c.sleds, [s]: step.state },
    hiEpoch: accepted && epoch > hi ? { ...c.hiEpoch, [s]: epoch } : c.hiEpoch,
    performed: performed === c.performed[s] ? c.performed : { ...c.performed, [s]: performed },
  };
  return addMsgs(next, step.effects);
}

function doHead(c: Cluster, h: string, step: head.HeadStep): Cluster {
  let acked = c.acked;
  for (const e of step.effects) {
    if (e.type !== 'reply' || e.reply.type !== 'writeAcked') continue;
    const r = e.reply;
    const a: AckedWrite = { holder: h, epoch: r.epoch, seq: r.seq, val: r.val };
    const dup = acked.some((x) =>
      x.holder === h && x.epoch === a.epoch && x.seq === a.seq && x.val === a.val);
    if (!dup) acked = [...acked, a];
  }
  return addMsgs(withHead({ ...c, acked }, h, step.state), step.effects);
}

/**
 * Applies an enabled action. Applying one whose guard does not hold, or whose successor
 * violates the MsgBound constraint, is a caller bug (throws).
 */
export function applyAction(c: Cluster, a: ClusterAction): Cluster {
  if (!guardedActions(c).some((b) => b.label === a.label)) {
    throw new Error(`assertion: action not enabled: ${a.label}`);
  }
  const next = step(c, a);
  if (!withinBounds(next)) throw new Error(`assertion: ${a.label} leaves the MsgBound constraint`);
  return next;
}

function step(c: Cluster, a: ClusterAction): Cluster {
  switch (a.action) {
    case 'Grant':
      return doTakeOver(c, a.params.h);
    case 'IssuerRestart':
      return { ...c, issuer: issuerRestart(c.issuer).state };
    case 'SledFence':
    case 'SledWrite':
      return doSled(c, a.params.s, a.params.m);
    case 'HeadFenced': {
      const m = a.params.m;
      if (m.type !== 'FenceAck') throw new Error('assertion: FenceAck');
      return doHead(c, a.params.h, head.headFenced(get(c.heads, a.params.h), m));
    }
    case 'Repair':
      return doHead(c, a.params.h, head.repair(get(c.heads, a.params.h)));
    case 'ClientWrite':
      return doHead(c, a.params.h, head.clientWrite(get(c.heads, a.params.h), a.params.v));
    case 'HeadAck': {
      const m = a.params.m;
      if (m.type !== 'WriteAck') throw new Error('assertion: WriteAck');
      return doHead(c, a.params.h, head.headAck(get(c.heads, a.params.h), m));
    }
    case 'HeadFencedOff': {
      const m = a.params.m;
      if (m.type !== 'Fenced') throw new Error('assertion: Fenced');
      return doHead(c, a.params.h, head.headFencedOff(get(c.heads, a.params.h), m));
    }
    case 'ClientRead':
      return doHead(c, a.params.h, head.clientRead(get(c.heads, a.params.h)));
    default:
      return applyFaultOrMigration(c, a);
  }
}

function applyFaultOrMigration(c: Cluster, a: ClusterAction): Cluster {
  switch (a.action) {
    case 'SledCrash': {
      const s = a.params.s;
      const st = get(c.sleds, s);
      const crashed = initSled(st.config, sledCrash(st)); // the volatile part is lost
      return {
        ...c,
        sleds: { ...c.sleds, [s]: crashed },
        up: { ...c.up, [s]: false },
        crashes: c.crashes + 1,
      };
    }
    case 'SledRestart': {
      const s = a.params.s;
      const restarted = sledRestart(get(c.sleds, s).config, get(c.sleds, s).durable);
      return { ...c, sleds: { ...c.sleds, [s]: restarted }, up: { ...c.up, [s]: true } };
    }
    case 'MigratePause': {
      const { src, dst } = a.params;
      const paused = head.migratePause(get(c.heads, src)).state;
      return { ...withHead(c, src, paused), migration: { src, dst, granted: false } };
    }
    case 'MigrateGrant': {
      const mg = c.migration;
      if (mg === null) throw new Error('assertion: migration');
      return { ...doTakeOver(c, mg.dst), migration: { ...mg, granted: true } };
    }
    default:
      throw new Error(`assertion: unhandled action ${a.action}`);
  }
}
