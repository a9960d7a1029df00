/**
 * The spec's invariants as TS predicates over a cluster, named exactly as in
 * spec/fencing/Fencing.tla. Each states the same formula on the code's own fields.
 */
import { clusterIssuerEpoch, type AckedWrite, type Cluster } from './cluster.ts';
import { canRead, headEpoch, PHASES } from './head.ts';
import { extentKey } from './credential.ts';
import { newer, type Block } from './messages.ts';
import { sledExtent } from './sled.ts';

const isNat = (n: number, max: number): boolean => Number.isInteger(n) && n >= 0 && n <= max;

function blocks(c: Cluster): Block[] {
  const key = extentKey(c.config);
  return c.config.sleds.map((s) => sledExtent(c.sleds[s]!, key).block);
}

function typeOK(c: Cluster): boolean {
  const { maxEpoch, maxSeq, maxCrashes, sleds, heads } = c.config;
  const okBlock = (b: Block) => isNat(b.epoch, maxEpoch) && isNat(b.seq, maxSeq);
  const key = extentKey(c.config);
  const headsOk = heads.every((h) => {
    const hs = c.heads[h];
    return hs !== undefined && isNat(headEpoch(hs), maxEpoch) && PHASES.includes(hs.phase) &&
      hs.fenced.every((s) => sleds.includes(s)) && hs.acks.every((s) => sleds.includes(s)) &&
      okBlock(hs.known) && (hs.pending === null || isNat(hs.pending.seq, maxSeq));
  });
  const sledsOk = sleds.every((s) => {
    const st = c.sleds[s];
    return st !== undefined && isNat(sledExtent(st, key).maxEpoch, maxEpoch) &&
      okBlock(sledExtent(st, key).block) && typeof c.up[s] === 'boolean' &&
      isNat(c.hiEpoch[s] ?? -1, maxEpoch);
  });
  const issuerOk = isNat(clusterIssuerEpoch(c), maxEpoch);
  return issuerOk && headsOk && sledsOk && isNat(c.crashes, maxCrashes);
}

function noStaleWrite(c: Cluster): boolean {
  return c.config.sleds.every((s) => (c.performed[s] ?? []).every((w) => w.epoch >= w.accepted));
}

function ackedWritesSurvive(c: Cluster): boolean {
  const bs = blocks(c);
  const holders = (a: AckedWrite) => bs.filter((b) => b.seq >= a.seq && b.epoch >= a.epoch).length;
  return c.acked.every((a) => holders(a) >= c.config.w);
}

/** The value of the acknowledged write with the highest version (the spec's LatestVal). */
export function latestVal(c: Cluster): string | null {
  let best: AckedWrite | null = null;
  for (const a of c.acked) if (best === null || newer(a, best)) best = a;
  return best === null ? null : best.val;
}

function readsSeeLatestAck(c: Cluster): boolean {
  const current = clusterIssuerEpoch(c);
  const latest = latestVal(c);
  return c.config.heads.every((h) => {
    const hs = c.heads[h]!;
    return !(canRead(hs) && headEpoch(hs) === current) || hs.known.val === latest;
  });
}

function oneWriterPerEpoch(c: Cluster): boolean {
  return c.acked.every((a) => c.acked.every((b) => a.epoch !== b.epoch || a.holder === b.holder));
}

function migrationExclusive(c: Cluster): boolean {
  const mg = c.migration;
  if (mg === null) return true;
  return !(c.heads[mg.src]!.phase === 'serving' && c.heads[mg.dst]!.phase === 'serving');
}

export const invariants = {
  TypeOK: typeOK,
  NoStaleWrite: noStaleWrite,
  AckedWritesSurvive: ackedWritesSurvive,
  ReadsSeeLatestAck: readsSeeLatestAck,
  OneWriterPerEpoch: oneWriterPerEpoch,
  MigrationExclusive: migrationExclusive,
} as const satisfies Record<string, (c: Cluster) => boolean>;

export type InvariantName = keyof typeof invariants;

/** The names of the invariants that fail in this state (empty when all hold). */
export function violatedInvariants(c: Cluster): InvariantName[] {
  return (Object.keys(invariants) as InvariantName[]).filter((n) => !invariants[n](c));
}
