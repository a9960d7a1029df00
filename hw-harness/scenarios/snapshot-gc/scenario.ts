/**
 * The snapshot-gc scenario: snapshot-GC's own node driver (GcHost, running the GC manager core
 * `handleGcInput`) over QEMU instances. A cold-booted guest is initialised to the ready state
 * and snapshotted (S); the host restores S as its instance; executions grow garbage in guest
 * RAM, write preserved state to the virtio state disk and hold a guest TCP connection to the
 * host peer; garbage over the threshold makes the core drain, save the preserved state,
 * terminate the connection on both ends, restore S (new QEMU, new generation, fresh entropy),
 * write the preserved state back and admit again. A second guest is then restored from the same
 * S. The audits read the guests, the disk image and both socket ends (checks.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureGuestImage } from '../../image/index.ts';
import { sleepMs } from '../../run.ts';
import { GcHost, type HostReply } from '../../../src/snapshot/node/index.ts';
import type { GcSteps } from '../../../src/snapshot/index.ts';
import type { ReadySpec } from '../../../src/snapshot/backend/index.ts';
import type { ScenarioReport } from '../../report.ts';
import { ScenarioRecorder } from '../recorder.ts';
import type { ScenarioContext } from '../types.ts';
import { stepsFor } from './bugs.ts';
import { judge, type Incarnation, type Observations } from './checks.ts';
import { ObservedBackend } from './observer.ts';
import { QemuBackend } from './qemu-backend.ts';

const MiB = 1024 * 1024;
export const SLOT = 'fn-1';
/** The cold start's initialisation work (an awk table: about half a second under TCG). */
export const READY: ReadySpec = { tableEntries: 2000, hashRounds: 20 };
export const THRESHOLD_BYTES = 24 * MiB;
const GC_WAIT_MS = 120_000;
/**
 * The execution still running when the GC begins: long enough that a GC which does not wait
 * for it (RestoreWithoutDrain) restores while it runs, even on a loaded machine.
 */
const DRAIN_EXECUTION_MS = 8_000;

type Run = { ctx: ScenarioContext; rec: ScenarioRecorder; backend: QemuBackend;
  observed: ObservedBackend; host: GcHost };

export async function runSnapshotGc(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rec = new ScenarioRecorder('snapshot-gc');
  try {
    await body(ctx, rec);
  } catch (thrown) {
    rec.fail('snapshot-gc scenario', thrown);
  }
  return rec.report();
}

async function body(ctx: ScenarioContext, rec: ScenarioRecorder): Promise<void> {
  const steps = stepsFor(ctx.inject);
  if (steps === null) return void rec.check('inject', false, `unknown bug ${ctx.inject}`);
  const run = await setUp(ctx, rec, steps);
  if (run === null) return;
  const cycles = ctx.long ? 3 : 1;
  const observations: Observations[] = [];
  const incarnations: Incarnation[] = [];
  const first = await firstNonce(run, 'gen1');
  if (first !== null) incarnations.push(first);
  const expected: Record<string, string> = {};
  for (let cycle = 1; cycle <= cycles; cycle++) {
    ctx.progress(`snapshot-gc: GC cycle ${cycle}/${cycles}: executions`);
    const o = await gcCycle(run, cycle, expected);
    observations.push(o);
    const r = o.record;
    if (r !== null) {
      incarnations.push({ label: `gen${r.generation}@gc${cycle}`, generation: r.generation,
        entropyHex: r.entropyHex, firstNonceHex: r.firstRandomHex });
    }
  }
  ctx.progress('snapshot-gc: second guest restored from the same S');
  const clone = await secondGuest(run, incarnations);
  if (clone !== null) incarnations.push(clone);
  ctx.progress('snapshot-gc: audit');
  for (const o of observations) o.incarnations = incarnations;
  recordChecks(rec, observations, ctx.accel);
  recordFigures(run, observations);
  rec.real(`qemu-${ctx.accel} vms (snapshot = QMP migrate to file, restore = new QEMU -incoming)`);
  rec.real('virtio-blk state disk per slot (O_DIRECT in the guest)');
  rec.real('guest TCP connection (busybox nc, QEMU user network) to a host peer socket');
  rec.emulated('an execution\'s duration is a host-side wait between its guest start and end '
    + 'commands (the guest agent runs one command at a time)');
  rec.emulated('entropy is handed through the guest agent (no vmgenid device in the VM config)');
}

async function setUp(ctx: ScenarioContext, rec: ScenarioRecorder,
  steps: GcSteps): Promise<Run | null> {
  ctx.progress('snapshot-gc: guest image');
  const image = await ensureGuestImage();
  if (!image.ok) {
    rec.fail('guest image', image.error);
    return null;
  }
  const created = await QemuBackend.create({ dir: path.join(ctx.workDir, 'slots'),
    kernelPath: image.value.kernelPath, initrdPath: image.value.initrdPath, accel: ctx.accel });
  if (!created.ok) {
    rec.fail('QEMU backend', created.error);
    return null;
  }
  const backend = created.value;
  ctx.teardown.add('snapshot-gc QEMU backend', () => backend.close());
  const observed = new ObservedBackend(backend, SLOT);
  ctx.progress('snapshot-gc: cold boot to ready, snapshot S, restore the instance');
  const host = await GcHost.start({ dir: ctx.workDir, ready: READY,
    thresholdBytes: THRESHOLD_BYTES, slot: SLOT, maxRunning: 4, readIntervalMs: 1000,
    maxWaiting: 16, steps, backend: observed });
  if (!host.ok) {
    rec.fail('GC host start (cold boot, snapshot, restore)', host.error);
    return null;
  }
  ctx.teardown.add('snapshot-gc GC host', () => host.value.stop());
  return { ctx, rec, backend, observed, host: host.value };
}

async function firstNonce(run: Run, label: string): Promise<Incarnation | null> {
  const restored = run.observed.restores[0];
  const nonce = await run.backend.random(run.host.instance, 16);
  if (restored === undefined || !nonce.ok) {
    const why = nonce.ok ? 'no restore seen' : nonce.error;
    run.rec.fail('first nonce of the launched instance', why);
    return null;
  }
  return { label, generation: restored.handle.generation, entropyHex: restored.entropyHex,
    firstNonceHex: nonce.value };
}

type Outcome = Observations['executions'][number];

function submit(run: Run, id: string, garbageBytes: number, extra: {
  preservedWrites?: Record<string, string>; durationMs?: number; openConnection?: boolean;
} = {}): Promise<Outcome> {
  return run.host.request({ type: 'execute', executionId: id, garbageBytes, ...extra })
    .then((reply: HostReply) => reply.type === 'executed'
      ? { id, ok: true, generation: reply.result.generation, detail: 'ok' }
      : { id, ok: false, generation: null,
        detail: reply.type === 'failed' ? `${reply.code} ${reply.message}` : reply.type });
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadlineMs = Date.now() + timeoutMs;
  while (Date.now() < deadlineMs) {
    if (predicate()) return true;
    await sleepMs(50);
  }
  return predicate();
}

/**
 * One GC: an execution that writes preserved state and opens a connection, then a slow one
 * that writes during the drain and a big one that crosses the threshold, then one submitted
 * while the GC runs (admitted after it). Returns what was observed around the restore.
 */
async function gcCycle(run: Run, cycle: number,
  expected: Record<string, string>): Promise<Observations> {
  const { host, backend, observed } = run;
  const gcsBefore = host.records.length;
  const e0 = await submit(run, `c${cycle}-e0`, 4 * MiB,
    { preservedWrites: { [`before-${cycle}`]: `v${cycle}` }, openConnection: true });
  if (e0.ok) expected[`before-${cycle}`] = `v${cycle}`;
  const seen = await backend.connections(host.instance);
  const connection = seen.ok ? seen.value.find((c) => c.state === 'open') ?? null : null;
  const drainKey = `drain-${cycle}`;
  const slow = submit(run, `c${cycle}-e1`, 1 * MiB, { durationMs: DRAIN_EXECUTION_MS,
    preservedWrites: { [drainKey]: 'written-during-drain' } });
  await sleepMs(200);
  const big = submit(run, `c${cycle}-e2`, THRESHOLD_BYTES);
  const draining = await waitFor(() => host.status().phase !== 'admitting', 30_000);
  const late = draining ? submit(run, `c${cycle}-e3`, 1 * MiB) : null;
  const outcomes = await Promise.all([slow, big, ...(late === null ? [] : [late])]);
  if (outcomes[0]?.ok === true) expected[drainKey] = 'written-during-drain';
  await waitFor(() => host.records.length > gcsBefore, GC_WAIT_MS);
  const record = host.records[gcsBefore] ?? null;
  const audit = observed.destroyAudits.at(-1) ?? null;
  const restore = observed.restores.at(-1) ?? null;
  const inGuest = await backend.readPreserved(SLOT);
  const inFile = backend.readPreservedFile(SLOT);
  const after = await backend.connections(host.instance);
  const lateOutcome = late === null ? null : outcomes.at(-1) ?? null;
  return {
    snapshotUsedBytes: observed.snapshots[0]?.memory?.guestUsedBytes ?? null,
    beforeGcUsedBytes: audit?.memory?.guestUsedBytes ?? null,
    afterGcUsedBytes: restore?.memory?.guestUsedBytes ?? null,
    garbageBeforeGcBytes: record?.garbageBeforeBytes ?? 0, record, gcAudit: audit, connection,
    connectionsAfter: after.ok ? after.value : null,
    peerOpenAfter: audit === null ? 0 : backend.peer.openCount(audit.instanceId),
    preservedInGuest: inGuest.ok ? inGuest.value : null,
    preservedInFile: inFile.ok ? inFile.value : null, expectedEntries: { ...expected },
    incarnations: [], hostFaults: [...host.faults], executions: [e0, ...outcomes],
    admittedAfterGc: lateOutcome === null ? null
      : { id: lateOutcome.id, generation: lateOutcome.generation },
    coldBootToReadyMs: observed.coldStarts[0]?.timings?.readyMs ?? null,
    restoreToReadyMs: restore?.timings?.readyMs ?? null,
  };
}

/** A second guest restored from the same S while the instance runs (2 VMs alive). */
async function secondGuest(run: Run, seen: readonly Incarnation[]): Promise<Incarnation | null> {
  const generation = Math.max(0, ...seen.map((i) => i.generation)) + 1;
  const entropyHex = randomBytes(32).toString('hex');
  const clone = await run.observed.restore(run.host.snapshotRef, { slot: 'clone', generation,
    entropyHex });
  if (!clone.ok) {
    run.rec.fail('second guest restore', clone.error);
    return null;
  }
  const nonce = await run.backend.random(clone.value, 16);
  const kernel = 'head -c 16 /dev/urandom | od -An -tx1 | tr -d " \\n"';
  const a = await run.backend.vm(run.host.instance)?.exec(kernel);
  const b = await run.backend.vm(clone.value)?.exec(kernel);
  if (a?.ok === true && b?.ok === true) {
    run.rec.figure('kernelUrandomSameInClones', a.value.output === b.value.output ? 1 : 0);
  }
  await run.observed.destroy(clone.value);
  if (!nonce.ok) {
    run.rec.fail('second guest nonce', nonce.error);
    return null;
  }
  return { label: `clone gen${generation}`, generation, entropyHex, firstNonceHex: nonce.value };
}

function recordChecks(rec: ScenarioRecorder, observations: Observations[],
  accel: 'kvm' | 'tcg'): void {
  const merged = new Map<string, { ok: boolean; details: Map<string, string> }>();
  observations.forEach((o, i) => {
    for (const check of judge(o, accel)) {
      const entry = merged.get(check.name) ?? { ok: true, details: new Map<string, string>() };
      entry.ok &&= check.ok;
      // A verdict over the whole run (the same text for every GC) is said once.
      if (!entry.details.has(check.detail)) entry.details.set(check.detail, `GC ${i + 1}`);
      merged.set(check.name, entry);
    }
  });
  for (const [name, entry] of merged) {
    const texts = [...entry.details].map(([detail, gc]) =>
      observations.length > 1 && entry.details.size > 1 ? `${gc}: ${detail}` : detail);
    rec.check(name, entry.ok, texts.join(' | '));
  }
}

function recordFigures(run: Run, observations: Observations[]): void {
  const { rec, observed, backend } = run;
  const cold = observed.coldStarts[0]?.timings;
  const o = observations[0];
  const gcRestore = observed.restores[1]?.timings;
  if (cold !== undefined && cold !== null) {
    rec.figure('coldBootToReadyMs', cold.readyMs);
    rec.figure('coldBootMs', cold.bootMs ?? 0);
    rec.figure('coldInitMs', cold.initMs ?? 0);
  }
  if (gcRestore !== undefined && gcRestore !== null) {
    rec.figure('restoreToReadyMs', gcRestore.readyMs);
    rec.figure('restoreLoadMs', gcRestore.restoreLoadMs ?? 0);
    rec.figure('restoreIdentityMs', gcRestore.identityMs ?? 0);
    if (cold?.readyMs !== undefined) {
      rec.figure('restoreVsBootSpeedup', cold.readyMs / gcRestore.readyMs);
    }
  }
  const snap = observed.snapshots[0];
  if (snap !== undefined) {
    rec.figure('snapshotMs', backend.lastSnapshotMs ?? snap.elapsedMs);
    rec.figure('snapshotBytes', snap.ref.bytes);
  }
  if (o?.record) rec.figure('gcPauseMs', o.record.pauseMs);
  if (o?.beforeGcUsedBytes != null) rec.figure('memoryBeforeGcBytes', o.beforeGcUsedBytes);
  if (o?.afterGcUsedBytes != null) rec.figure('memoryAfterGcBytes', o.afterGcUsedBytes);
  if (o?.snapshotUsedBytes != null) rec.figure('memorySnapshotBytes', o.snapshotUsedBytes);
  const rssBefore = o?.gcAudit?.memory?.hostRssBytes;
  const rssAfter = observed.restores[1]?.memory?.hostRssBytes;
  if (rssBefore !== undefined) rec.figure('hostRssBeforeGcBytes', rssBefore);
  if (rssAfter !== undefined) rec.figure('hostRssAfterGcBytes', rssAfter);
  rec.figure('gcs', run.host.records.length);
}
