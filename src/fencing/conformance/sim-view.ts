/**
 * The simulator-side state of a fencing run that is not in any node: the journal (message set,
 * grants on their way, migration, crash count, ghosts, client replies, the recorded trace), and
 * the `Cluster` view built from the nodes and the journal, on which the cores' `specState` and
 * `invariants` run.
 */
import { extentKey, head, issuer, msgKey, sled } from '../index.ts';
import type {
  AckedWrite, Block, ClientReply, Cluster, ClusterConfig, Credential, HeadEffect, HeadState,
  IssuerDurable, IssuerState, Message, Migration, PerformedWrite, SledDurable, SledEffect,
  SledState,
} from '../index.ts';
import type { SimWorld } from '../../runtime/sim/index.ts';
import type { ImplTrace } from '../../tla/index.ts';

export type FencingDurable =
  | { role: 'issuer'; d: IssuerDurable }
  | { role: 'head' }
  | { role: 'sled'; d: SledDurable };
export type FencingVolatile =
  | { role: 'issuer'; s: IssuerState }
  | { role: 'head'; s: HeadState }
  | { role: 'sled'; s: SledState };

/** Scheduled inputs: to the issuer (takeover, migrateGrant) or to a head (the others). */
export type FencingInput =
  | { type: 'takeover'; holder: string }
  | { type: 'migrateGrant' }
  | { type: 'write'; val: string }
  | { type: 'read' }
  | { type: 'migrate'; dst: string }
  /** Does nothing: gives end-of-run checks a step at a chosen time. */
  | { type: 'probe' };

export interface ReplyRecord {
  head: string;
  reply: ClientReply;
  /** For reads: whether the head held the highest granted epoch when it answered. */
  current?: boolean;
}

export interface Journal {
  /** Every spec message ever sent (Grant excluded), by msgKey. */
  msgs: Record<string, Message>;
  /** Credentials granted and not yet taken by their holder. */
  outstanding: Record<string, Credential>;
  migration: Migration | null;
  crashes: number;
  hiEpoch: Record<string, number>;
  performed: Record<string, PerformedWrite[]>;
  acked: AckedWrite[];
  replies: ReplyRecord[];
  /** The spec action of the step being handled (set by handlers, read by onStep). */
  stepAction: string | undefined;
  steps: number;
  actions: Record<string, number>;
  trace: ImplTrace | undefined;
}

export function emptyJournal(cfg: ClusterConfig): Journal {
  const bySled = <V>(f: () => V): Record<string, V> =>
    Object.fromEntries(cfg.sleds.map((s) => [s, f()]));
  return {
    msgs: {}, outstanding: {}, migration: null, crashes: 0, hiEpoch: bySled(() => 0),
    performed: bySled(() => []), acked: [], replies: [], stepAction: undefined, steps: 0,
    actions: {}, trace: undefined,
  };
}

function addMsg(j: Journal, m: Message): void {
  if (m.type === 'Grant') return;
  const k = msgKey(m);
  if (j.msgs[k] === undefined) j.msgs[k] = m;
}

/** Records a head step's sends and acknowledged writes (the spec's msgs and acked). */
export function observeHead(j: Journal, id: string, effects: readonly HeadEffect[]): void {
  for (const e of effects) {
    if (e.type === 'send') addMsg(j, e.msg);
    if (e.type !== 'reply') continue;
    j.replies.push({ head: id, reply: e.reply });
    if (e.reply.type !== 'writeAcked') continue;
    const r = e.reply;
    const dup = j.acked.some((x) => x.holder === id && x.epoch === r.epoch && x.seq === r.seq &&
      x.val === r.val);
    if (!dup) j.acked.push({ holder: id, epoch: r.epoch, seq: r.seq, val: r.val });
  }
}

/** Records a sled step's sends and ghosts (hiEpoch, performed) as cluster.ts observes them. */
export function observeSled(j: Journal, id: string, epoch: number,
  effects: readonly SledEffect[]): void {
  const hi = j.hiEpoch[id] ?? 0;
  const performed = j.performed[id] ?? [];
  for (const e of effects) {
    if (e.type === 'send') addMsg(j, e.msg);
    if (e.type !== 'writeBlock') continue;
    const w = { epoch: e.block.epoch, accepted: hi };
    if (!performed.some((p) => p.epoch === w.epoch && p.accepted === w.accepted)) performed.push(w);
  }
  j.performed[id] = performed;
  const accepted = effects.some((e) => e.type === 'send' && e.msg.type !== 'Fenced');
  if (accepted && epoch > hi) j.hiEpoch[id] = epoch;
}

/** The durable state after a `writeBlock` effect (the block reaches the device). */
export function applyWriteBlock(d: SledDurable, extent: string, block: Block): SledDurable {
  const ext = d.extents[extent] ?? { maxEpoch: 0, block };
  return { extents: { ...d.extents, [extent]: { ...ext, block } } };
}

type World = SimWorld<FencingDurable, FencingVolatile>;

function issuerView(cfg: ClusterConfig, w: World): IssuerState {
  const n = w.node('issuer');
  if (n.volatile?.role === 'issuer') return n.volatile.s;
  if (n.durable.role !== 'issuer') throw new Error('assertion: issuer durable');
  return issuer.initIssuer({ id: 'issuer', key: cfg.key }, n.durable.d);
}

function headView(w: World, j: Journal, h: string): HeadState {
  const v = w.node(h).volatile;
  if (v?.role !== 'head') throw new Error(`assertion: head ${h} has no state (crashed?)`);
  const cred = j.outstanding[h];
  return cred === undefined ? v.s : head.takeOver(v.s, cred).state;
}

function sledView(cfg: ClusterConfig, w: World, s: string): SledState {
  const n = w.node(s);
  if (n.volatile?.role === 'sled') return n.volatile.s;
  if (n.durable.role !== 'sled') throw new Error('assertion: sled durable');
  return sled.sledRestart({ id: s, key: cfg.key }, n.durable.d);
}

/** The run's state as a `Cluster`, for `specState` and `invariants`. */
export function clusterViewOf(cfg: ClusterConfig, w: World, j: Journal): Cluster {
  const msgs: Record<string, Message> = { ...j.msgs };
  for (const cred of Object.values(j.outstanding)) {
    const fence: Message = { type: 'Fence', credential: cred };
    const k = msgKey(fence);
    if (msgs[k] === undefined) msgs[k] = fence;
  }
  const by = <V>(ids: readonly string[], f: (id: string) => V): Record<string, V> =>
    Object.fromEntries(ids.map((id) => [id, f(id)]));
  return {
    config: cfg,
    issuer: issuerView(cfg, w),
    heads: by(cfg.heads, (h) => headView(w, j, h)),
    sleds: by(cfg.sleds, (s) => sledView(cfg, w, s)),
    up: by(cfg.sleds, (s) => w.node(s).status !== 'crashed'),
    msgs,
    migration: j.migration,
    crashes: j.crashes,
    hiEpoch: { ...j.hiEpoch },
    performed: by(cfg.sleds, (s) => [...(j.performed[s] ?? [])]),
    acked: [...j.acked],
  };
}

export { extentKey };
