/**
 * The abstraction function: a cluster's state as the values of the variables of
 * spec/fencing/Fencing.tla, in the shared JSON form of src/tla/value.ts. Heads, sleds and values
 * are model values; NoValue and None are the spec's model values of the same names.
 */
import { fn, model, set, type TlaState, type TlaValue } from '../tla/value.ts';
import { clusterIssuerEpoch, type Cluster } from './cluster.ts';
import { headEpoch } from './head.ts';
import { extentKey } from './credential.ts';
import { sledExtent } from './sled.ts';
import type { Block, Message } from './messages.ts';

export const NO_VALUE_MODEL = 'NoValue';
export const NONE_MODEL = 'None';

const val = (v: string | null): TlaValue => model(v ?? NO_VALUE_MODEL);
const blockValue = (b: Block): TlaValue => ({ epoch: b.epoch, seq: b.seq, val: val(b.val) });

/** A message as the spec's record (credentials dropped). Grant is not a spec message. */
export function specMessage(m: Message): TlaValue | null {
  switch (m.type) {
    case 'Grant':
      return null;
    case 'Fence':
      return { type: 'Fence', head: model(m.credential.holder), epoch: m.credential.epoch };
    case 'Write':
      return {
        type: 'Write', head: model(m.credential.holder), epoch: m.credential.epoch,
        seq: m.seq, val: val(m.val),
      };
    case 'FenceAck':
      return {
        type: 'FenceAck', sled: model(m.sled), head: model(m.head), epoch: m.epoch,
        block: blockValue(m.block),
      };
    case 'WriteAck':
      return {
        type: 'WriteAck', sled: model(m.sled), head: model(m.head), epoch: m.epoch, seq: m.seq,
      };
    case 'Fenced':
      return { type: 'Fenced', sled: model(m.sled), head: model(m.head), epoch: m.epoch };
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
}

function perHead(c: Cluster, f: (h: string) => TlaValue): TlaValue {
  return fn(c.config.heads.map((h) => [model(h), f(h)] as [TlaValue, TlaValue]));
}
function perSled(c: Cluster, f: (s: string) => TlaValue): TlaValue {
  return fn(c.config.sleds.map((s) => [model(s), f(s)] as [TlaValue, TlaValue]));
}
function must<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('assertion: missing node');
  return v;
}

function headVars(c: Cluster): TlaState {
  const hs = (h: string) => must(c.heads[h]);
  return {
    epoch: perHead(c, (h) => headEpoch(hs(h))),
    phase: perHead(c, (h) => hs(h).phase),
    fenced: perHead(c, (h) => set(hs(h).fenced.map(model))),
    known: perHead(c, (h) => blockValue(hs(h).known)),
    pending: perHead(c, (h) => {
      const p = hs(h).pending;
      return p === null ? model(NONE_MODEL) : { seq: p.seq, val: val(p.val) };
    }),
    acks: perHead(c, (h) => set(hs(h).acks.map(model))),
  };
}

function sledVars(c: Cluster): TlaState {
  const key = extentKey(c.config);
  const ext = (s: string) => sledExtent(must(c.sleds[s]), key);
  return {
    maxEpoch: perSled(c, (s) => ext(s).maxEpoch),
    block: perSled(c, (s) => blockValue(ext(s).block)),
    up: perSled(c, (s) => must(c.up[s])),
  };
}

/** The values of every variable of the spec, in the spec's names. */
export function specState(c: Cluster): TlaState {
  const msgs: TlaValue[] = [];
  for (const m of Object.values(c.msgs)) {
    const v = specMessage(m);
    if (v !== null) msgs.push(v);
  }
  const mg = c.migration;
  return {
    issuerEpoch: clusterIssuerEpoch(c),
    ...headVars(c),
    ...sledVars(c),
    msgs: set(msgs),
    migration: mg === null
      ? model(NONE_MODEL)
      : { src: model(mg.src), dst: model(mg.dst), granted: mg.granted },
    crashes: c.crashes,
    hiEpoch: perSled(c, (s) => must(c.hiEpoch[s])),
    performed: perSled(c, (s) =>
      set(must(c.performed[s]).map((w) => ({ epoch: w.epoch, accepted: w.accepted })))),
    acked: set(c.acked.map((a) =>
      ({ holder: model(a.holder), epoch: a.epoch, seq: a.seq, val: val(a.val) }))),
  };
}

/** The spec's variable names, in declaration order. */
export const SPEC_VARIABLES = [
  'issuerEpoch', 'epoch', 'phase', 'fenced', 'known', 'pending', 'acks', 'maxEpoch', 'block',
  'up', 'msgs', 'migration', 'crashes', 'hiEpoch', 'performed', 'acked',
] as const;
