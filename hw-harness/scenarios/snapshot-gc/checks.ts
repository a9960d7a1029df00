/**
 * The scenario's verdicts, as pure functions of what was observed on the real VMs (so each can
 * be unit-tested on made-up observations, passing and failing). Checks carry the spec's
 * property names (spec/snapshot-gc/SnapshotGC.tla) and a detail with the numbers behind them.
 */
import type { Check } from '../../report.ts';
import type { ConnectionInfo, PreservedState } from '../../../src/snapshot/backend/index.ts';
import type { GcRecord } from '../../../src/snapshot/node/index.ts';
import type { DestroyAudit } from './observer.ts';

const MiB = 1024 * 1024;
/** "About the snapshot's": guest used memory within this of S's after a GC restore. */
export const MEMORY_SLACK_BYTES = 8 * MiB;
export const SPEEDUP_TARGET = 5;

export type Incarnation = { label: string; generation: number; entropyHex: string;
  firstNonceHex: string };

export type Observations = {
  /** Guest used memory when S was taken, right before the GC's restore, right after it. */
  snapshotUsedBytes: number | null;
  beforeGcUsedBytes: number | null;
  afterGcUsedBytes: number | null;
  /** Garbage the executions left before the GC (bytes). */
  garbageBeforeGcBytes: number;
  record: GcRecord | null;
  /** S's garbage and state digest; the restored instance's, read before admission. */
  gcAudit: DestroyAudit | null;
  /** The connection the instance opened before the GC (null if none could be opened). */
  connection: ConnectionInfo | null;
  /** After the GC: the restored guest's connections, and peer ends of the old incarnation. */
  connectionsAfter: ConnectionInfo[] | null;
  peerOpenAfter: number;
  /** Preserved state: read by the restored guest through its disk, and from the image file. */
  preservedInGuest: PreservedState | null;
  preservedInFile: PreservedState | null;
  /** Keys written before the GC and during its drain, with their values. */
  expectedEntries: Record<string, string>;
  incarnations: Incarnation[];
  hostFaults: string[];
  /** Executions submitted and how they ended. */
  executions: { id: string; ok: boolean; generation: number | null; detail: string }[];
  admittedAfterGc: { id: string; generation: number | null } | null;
  coldBootToReadyMs: number | null;
  restoreToReadyMs: number | null;
};

const mib = (bytes: number | null): string =>
  bytes === null ? '?' : `${(bytes / MiB).toFixed(1)} MiB`;

export function judge(o: Observations, accel: 'kvm' | 'tcg'): Check[] {
  return [
    memoryCheck(o), cleanStateCheck(o), preservedCheck(o), halfOpenCheck(o), uniqueCheck(o),
    noRestoreDuringExecutionCheck(o), admissionCheck(o), speedupCheck(o, accel),
  ];
}

export function memoryCheck(o: Observations): Check {
  const name = 'CleanAfterRestore: guest memory back to the snapshot\'s after the GC restore';
  const { snapshotUsedBytes: s, beforeGcUsedBytes: b, afterGcUsedBytes: a } = o;
  if (s === null || b === null || a === null) {
    return { name, ok: false,
      detail: `missing figures: S ${mib(s)}, before ${mib(b)}, after ${mib(a)}` };
  }
  const grew = b - s >= o.garbageBeforeGcBytes * 0.75;
  const back = Math.abs(a - s) <= MEMORY_SLACK_BYTES;
  return { name, ok: grew && back, detail: `guest used: snapshot S ${mib(s)}, before GC ${mib(b)}`
    + ` (garbage ${mib(o.garbageBeforeGcBytes)}), after restore ${mib(a)}; `
    + `${grew ? '' : 'garbage did not show in guest memory; '}`
    + `${back ? 'within' : 'NOT within'} ${mib(MEMORY_SLACK_BYTES)} of S` };
}

export function cleanStateCheck(o: Observations): Check {
  const name = 'CleanAfterRestore: garbage 0 and non-preserved state equals S\'s';
  const r = o.record;
  if (r === null) return { name, ok: false, detail: 'no GC happened' };
  return { name, ok: r.cleanAfterRestore, detail: `garbage ${r.garbageBeforeBytes} B before, `
    + `${r.garbageAfterBytes} B after the restore; state digest ${r.cleanAfterRestore
      ? 'equals' : 'differs from'} S's` };
}

export function preservedCheck(o: Observations): Check {
  const name = 'PreservedStateIntact: virtio state disk keeps pre-GC and drain writes';
  const g = o.preservedInGuest;
  if (g === null || o.record === null) {
    return { name, ok: false, detail: `${o.record === null ? 'no GC happened; ' : ''}`
      + `${g === null ? 'restored guest could not read its state disk' : ''}` };
  }
  const missing = Object.entries(o.expectedEntries).filter(([k, v]) => g.entries[k] !== v)
    .map(([k]) => k);
  const fileAgrees = JSON.stringify(o.preservedInFile) === JSON.stringify(g);
  const ok = missing.length === 0 && fileAgrees && o.record.preservedIntact;
  return { name, ok, detail: `restored guest reads ${JSON.stringify(g.entries)} (v${g.version})`
    + ` from /dev/vda; ${missing.length === 0 ? 'all expected keys present'
      : `LOST ${missing.join(', ')}`}; image file ${fileAgrees ? 'agrees' : 'DISAGREES'}; `
    + `write-back ${o.record.preservedIntact ? 'equals' : 'DIFFERS from'} the state before `
    + 'restore' };
}

const openSockets = (a: DestroyAudit) =>
  (a.guestSockets ?? []).filter((s) => s.state !== 'TIME_WAIT' && s.state !== 'CLOSE');

export function halfOpenCheck(o: Observations): Check {
  const name = 'NoHalfOpenConnection: guest and host ends closed before restore';
  const a = o.gcAudit;
  if (a === null || o.connection === null) {
    return { name, ok: false, detail: o.connection === null ? 'no guest connection was opened'
      : 'no GC restore was audited' };
  }
  const guestOpen = (a.guestConnections ?? []).filter((c) => c.state !== 'closed');
  const sockets = openSockets(a);
  const atRestore = guestOpen.length === 0 && sockets.length === 0 && a.peerOpen.length === 0
    && a.guestConnections !== null;
  const after = (o.connectionsAfter ?? []).filter((c) => c.state !== 'closed');
  const ok = atRestore && after.length === 0 && o.connectionsAfter !== null
    && o.peerOpenAfter === 0;
  const socketText = sockets.map((s) => `:${s.localPort} ${s.state}`).join(', ') || 'none';
  return { name, ok, detail: `${o.connection.connectionId} (guest port ${o.connection.localPort})`
    + ` at restore of ${a.instanceId}: guest ends open ${guestOpen.length} (sockets ${socketText}),`
    + ` peer ends open ${a.peerOpen.length}${a.peerOpen.length > 0 ? ` [${a.peerOpen.join(', ')}]`
      : ''}; after resume: restored guest holds ${after.length}, peer holds ${o.peerOpenAfter}` };
}

export function uniqueCheck(o: Observations): Check {
  const name = 'UniqueAfterRestore: guests restored from one snapshot differ in generation and '
    + 'random values';
  const list = o.incarnations;
  if (list.length < 3) return { name, ok: false, detail: `only ${list.length} restored guests` };
  const clashes: string[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const x = list[i];
      const y = list[j];
      if (x === undefined || y === undefined) continue;
      const pair = `${x.label}/${y.label}`;
      if (x.generation === y.generation) clashes.push(`${pair} generation ${x.generation}`);
      if (x.firstNonceHex === y.firstNonceHex) clashes.push(`${pair} nonce ${x.firstNonceHex}`);
      if (x.entropyHex === y.entropyHex) clashes.push(`${pair} same entropy`);
    }
  }
  const shown = list.map((x) =>
    `${x.label}: gen ${x.generation} nonce ${x.firstNonceHex.slice(0, 12)}`);
  return { name, ok: clashes.length === 0, detail: `${shown.join('; ')}`
    + `${clashes.length > 0 ? `; SHARED: ${clashes.join(', ')}` : '; all distinct'}` };
}

export function noRestoreDuringExecutionCheck(o: Observations): Check {
  const name = 'NoRestoreDuringExecution: nothing ran in the guest when it was restored';
  const a = o.gcAudit;
  if (a === null) return { name, ok: false, detail: 'no GC restore was audited' };
  const hostFault = o.hostFaults.filter((f) => f.includes('restore while'));
  const running = a.runningInGuest;
  const ok = a.executionsInFlight === 0 && running !== null && running.length === 0
    && hostFault.length === 0;
  return { name, ok, detail: `at restore of ${a.instanceId}: ${a.executionsInFlight} executions `
    + `in flight on the host, ${running === null ? '?' : running.length} running markers in the `
    + `guest${hostFault.length > 0 ? `; host: ${hostFault.join('; ')}` : ''}` };
}

export function admissionCheck(o: Observations): Check {
  const name = 'GC completes and admissions resume (liveness)';
  const failed = o.executions.filter((e) => !e.ok);
  const after = o.admittedAfterGc;
  const newGen = o.record?.generation ?? null;
  const ok = failed.length === 0 && o.record !== null && after !== null
    && after.generation === newGen;
  return { name, ok, detail: `${o.executions.length - failed.length}/${o.executions.length} `
    + `executions ok${failed.length > 0 ? ` (failed: ${failed.map((e) => `${e.id}: ${e.detail}`)
      .join('; ')})` : ''}; GC ${o.record === null ? 'never finished' : `#${o.record.gc} to `
      + `generation ${newGen}`}; submitted during the GC: ${after === null ? 'none answered'
      : `${after.id} ran in generation ${after.generation}`}` };
}

export function speedupCheck(o: Observations, accel: 'kvm' | 'tcg'): Check {
  const name = `RestoreVsBootSpeedup >= ${SPEEDUP_TARGET} (${accel})`;
  const cold = o.coldBootToReadyMs;
  const restore = o.restoreToReadyMs;
  if (cold === null || restore === null || restore <= 0) {
    return { name, ok: false, detail: `missing timings: cold ${cold}, restore ${restore}` };
  }
  const speedup = cold / restore;
  return { name, ok: speedup >= SPEEDUP_TARGET, detail: `cold boot to ready ${cold} ms, `
    + `restore to ready ${restore} ms: ${speedup.toFixed(1)}x` };
}
