/**
 * The snapshot-gc scenario's pure parts, without a VM: the guest command builders and parsers,
 * the preserved-state disk format, the QEMU backend's request validation, the verdicts (each
 * property's check passing and failing on made-up observations) and the injectable bugs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGcSteps, initGcManager } from '../../../src/snapshot/index.ts';
import type { InstanceHandle, SnapshotRef } from '../../../src/snapshot/backend/index.ts';
import type { GcRecord } from '../../../src/snapshot/node/index.ts';
import {
  BUGS, QemuBackend, judge, scenario, stepsFor, type Observations,
} from '../../../hw-harness/scenarios/snapshot-gc/index.ts';
import * as guest from '../../../hw-harness/scenarios/snapshot-gc/guest.ts';

const ENTROPY = 'ab'.repeat(32);
const MiB = 1024 * 1024;

describe('preserved state on the state disk', () => {
  it('round-trips through whole 4 KiB blocks', () => {
    const state = { version: 3, entries: { a: '1', 'drain-1': 'written-during-drain' } };
    const encoded = guest.encodePreserved(state);
    if (!encoded.ok) throw new Error(encoded.error.message);
    expect(encoded.value.length % 4096).toBe(0);
    expect(encoded.value.subarray(0, 8).toString()).toBe('PLPRES1 ');
    expect(guest.decodePreserved(encoded.value)).toEqual({ ok: true, value: state });
    const used = encoded.value.subarray(0, 19 + JSON.stringify(state).length);
    expect(guest.preservedFromAnswer(used.toString('base64'))).toEqual({ ok: true, value: state });
  });

  it('reads a zeroed disk and an empty answer as the empty state, and refuses garbage', () => {
    const empty = { ok: true, value: { version: 0, entries: {} } };
    expect(guest.decodePreserved(Buffer.alloc(4096))).toEqual(empty);
    expect(guest.preservedFromAnswer('\n')).toEqual(empty);
    expect(guest.decodePreserved(Buffer.from('XXXXXXXX    12\n{}'))).toMatchObject({ ok: false });
    const torn = Buffer.from('PLPRES1        500\n{"version":1');
    expect(guest.decodePreserved(torn)).toMatchObject({ ok: false, error: { code: 'protocol' } });
    expect(guest.preservedFromAnswer('not base64 !')).toMatchObject({ ok: false });
  });

  it('refuses a state larger than the preserved area', () => {
    const big = { version: 1, entries: Object.fromEntries(Array.from({ length: 20 },
      (_, i) => [`k${i}`, 'x'.repeat(4000)])) };
    expect(guest.encodePreserved(big)).toMatchObject({ ok: false });
  });
});

describe('guest commands and parsers', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid',
    '   0: 0F02000A:B582 0202000A:A059 06 00000000:00000000 03:000016A4 00000000     0',
    '   1: 0F02000A:B58E 0202000A:A059 01 00000000:00000000 00:00000000 00000000     0',
    '   2: 0F02000A:C000 0202000A:A059 08 00000000:00000000 00:00000000 00000000     0',
  ].join('\n');

  it('parses /proc/net/tcp and maps socket states to the instance\'s view', () => {
    const sockets = guest.parseProcNetTcp(tcp);
    expect(sockets).toEqual([
      { localPort: 0xb582, remoteIp: '10.0.2.2', remotePort: 0xa059, state: 'TIME_WAIT' },
      { localPort: 0xb58e, remoteIp: '10.0.2.2', remotePort: 0xa059, state: 'ESTABLISHED' },
      { localPort: 0xc000, remoteIp: '10.0.2.2', remotePort: 0xa059, state: 'CLOSE_WAIT' },
    ]);
    const at = (port: number) => guest.instanceEndState(guest.socketFor(sockets, port, 0xa059));
    expect(at(0xb58e)).toBe('open');
    expect(at(0xc000)).toBe('half-open');
    expect(at(0xb582)).toBe('closed');
    expect(at(1234)).toBe('closed');
    expect(guest.socketFor(sockets, 0xb58e, 80)).toBeUndefined();
  });

  it('parses connection records and key=value answers against their schemas', () => {
    const name = guest.fileName('q1-fn-1-c1');
    expect(name).toMatch(/^[0-9a-f]{24}$/);
    expect(guest.parseConnectionRecords(`junk\nconn ${name} 46466 dead\n`))
      .toEqual([{ name, localPort: 46466, alive: false }]);
    const ok = guest.parseKeyValues('gen=2\ngarbage=1024\nrandom=' + '0f'.repeat(16) + '\n',
      guest.executeEndAnswerSchema);
    expect(ok).toEqual({ ok: true, value: { gen: 2, garbage: 1024, random: '0f'.repeat(16) } });
    expect(guest.parseKeyValues('gen=x\n', guest.executeEndAnswerSchema))
      .toMatchObject({ ok: false, error: { code: 'protocol' } });
  });

  it('hands identity before anything else and refuses unsafe words', () => {
    const identity = { instanceId: 'q2-fn-1', slot: 'fn-1', generation: 2, entropyHex: ENTROPY };
    const command = guest.identityCommand(identity);
    expect(command).toContain(`printf '%s' ${ENTROPY} > /dev/urandom`);
    expect(command).toContain('echo 2 > $P/gen');
    expect(command.indexOf('$P/seed')).toBeGreaterThan(0);
    expect(() => guest.identityCommand({ ...identity, slot: 'a;rm -rf /' })).toThrow();
    expect(() => guest.identityCommand({ ...identity, entropyHex: 'zz' })).toThrow();
    const init = guest.initCommand({ tableEntries: 10, hashRounds: 2 }, identity);
    expect(init).toContain('-v n=10 -v r=2');
    expect(init).toContain('echo cold > $P/origin');
    expect(() => guest.randomCommand(0)).toThrow();
    expect(guest.executeStartCommand('e 1', 0)).not.toContain('head -c');
    expect(guest.executeStartCommand('e 1', 5)).toContain('head -c 5 /dev/zero');
    expect(() => guest.writePreservedCommand(Buffer.alloc(10))).toThrow(/whole blocks/);
  });
});

describe('QEMU backend request validation (no VM started)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-hg-units-'));
  let backend: QemuBackend;
  const ghost: InstanceHandle = { instanceId: 'q9-fn-1', slot: 'fn-1', generation: 1,
    backend: 'qemu-tcg' };
  const ref: SnapshotRef = { backend: 'process', path: '/nope', bytes: 0, stateDigest: 'x',
    garbageBytes: 0, generation: 0 };

  beforeAll(async () => {
    const created = await QemuBackend.create({ dir, kernelPath: '/nope/vmlinuz',
      initrdPath: '/nope/initrd', accel: 'tcg' });
    if (!created.ok) throw new Error(created.error.message);
    backend = created.value;
  });
  afterAll(async () => {
    await backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names itself after the accelerator and refuses bad requests as values', async () => {
    expect(backend.describe()).toBe('qemu-tcg');
    const options = { slot: 'fn-1', generation: 2, entropyHex: ENTROPY };
    expect(await backend.restore(ref, options)).toMatchObject({ ok: false,
      error: { code: 'snapshot-invalid' } });
    expect(await backend.restore({ ...ref, backend: 'qemu-tcg' }, { ...options, slot: 'a b' }))
      .toMatchObject({ ok: false, error: { code: 'protocol' } });
    expect(await backend.restore({ ...ref, backend: 'qemu-tcg' }, options))
      .toMatchObject({ ok: false, error: { code: 'snapshot-invalid' } });
    expect(await backend.coldStart({ slot: 'fn-1', ready: { tableEntries: 0, hashRounds: 1 },
      generation: 0, entropyHex: ENTROPY }))
      .toMatchObject({ ok: false, error: { code: 'protocol' } });
    expect(await backend.execute(ghost, { executionId: '', garbageBytes: 1 }))
      .toMatchObject({ ok: false, error: { code: 'protocol' } });
    expect(await backend.execute(ghost, { executionId: 'e', garbageBytes: 1 }))
      .toMatchObject({ ok: false, error: { code: 'unknown-instance' } });
    expect(await backend.random(ghost, 0))
      .toMatchObject({ ok: false, error: { code: 'protocol' } });
    expect(await backend.openConnection(ghost)).toMatchObject({ ok: false,
      error: { code: 'unknown-instance' } });
    expect(backend.peerOpenConnections(ghost)).toBe(0);
  });

  it('keeps a slot\'s preserved state in its disk image when no instance runs', async () => {
    expect(await backend.readPreserved('fn-2')).toEqual({ ok: true,
      value: { version: 0, entries: {} } });
    const state = { version: 1, entries: { k: 'v' } };
    expect(await backend.writePreserved('fn-2', state)).toEqual({ ok: true, value: undefined });
    expect(fs.statSync(backend.slotDiskPath('fn-2')).size).toBe(1 << 20);
    expect(backend.readPreservedFile('fn-2')).toEqual({ ok: true, value: state });
    expect(await backend.readPreserved('fn-2')).toEqual({ ok: true, value: state });
  });
});

function record(overrides: Partial<GcRecord> = {}): GcRecord {
  return { gc: 1, generation: 2, entropyHex: ENTROPY, garbageBeforeBytes: 29 * MiB,
    garbageAfterBytes: 0, cleanAfterRestore: true, preservedBefore: 'aa', preservedAfter: 'aa',
    preservedIntact: true, halfOpenAfterResume: 0, connectionsClosed: 1, firstRandomHex: 'b2',
    pauseMs: 3000, restoreMs: 700, ...overrides };
}

function passing(): Observations {
  const entries = { 'before-1': 'v1', 'drain-1': 'written-during-drain' };
  return {
    snapshotUsedBytes: 26 * MiB, beforeGcUsedBytes: 55 * MiB, afterGcUsedBytes: 26.2 * MiB,
    garbageBeforeGcBytes: 29 * MiB, record: record(),
    gcAudit: { instanceId: 'q2-fn-1', generation: 1, executionsInFlight: 0, runningInGuest: [],
      guestConnections: [{ connectionId: 'q2-fn-1-c1', localPort: 40000, state: 'closed' }],
      guestSockets: [{ localPort: 40000, remoteIp: '10.0.2.2', remotePort: 9, state: 'TIME_WAIT' }],
      peerOpen: [], memory: null },
    connection: { connectionId: 'q2-fn-1-c1', localPort: 40000, state: 'open' },
    connectionsAfter: [], peerOpenAfter: 0,
    preservedInGuest: { version: 2, entries }, preservedInFile: { version: 2, entries },
    expectedEntries: entries,
    incarnations: [
      { label: 'gen1', generation: 1, entropyHex: 'a1', firstNonceHex: 'n1' },
      { label: 'gen2', generation: 2, entropyHex: 'a2', firstNonceHex: 'n2' },
      { label: 'clone', generation: 3, entropyHex: 'a3', firstNonceHex: 'n3' },
    ],
    hostFaults: [],
    executions: [{ id: 'e0', ok: true, generation: 1, detail: 'ok' }],
    admittedAfterGc: { id: 'e3', generation: 2 },
    coldBootToReadyMs: 9000, restoreToReadyMs: 700,
  };
}

const failing = (o: Observations) => judge(o, 'tcg').filter((c) => !c.ok)
  .map((c) => c.name.split(':')[0]);

describe('verdicts', () => {
  it('all pass on a clean run', () => {
    expect(judge(passing(), 'tcg').every((c) => c.ok)).toBe(true);
  });

  it('each property fails on what violates it', () => {
    const base = passing();
    const audit = base.gcAudit!;
    expect(failing({ ...base, gcAudit: { ...audit, peerOpen: ['q2-fn-1-c1'], guestSockets: [
      { localPort: 40000, remoteIp: '10.0.2.2', remotePort: 9, state: 'ESTABLISHED' }] } }))
      .toEqual(['NoHalfOpenConnection']);
    expect(failing({ ...base, gcAudit: { ...audit, executionsInFlight: 1,
      runningInGuest: ['abc'] } })).toEqual(['NoRestoreDuringExecution']);
    const [a, b, c] = base.incarnations;
    expect(failing({ ...base, incarnations: [a!, { ...b!, generation: 1,
      firstNonceHex: a!.firstNonceHex, entropyHex: a!.entropyHex }, c!] }))
      .toEqual(['UniqueAfterRestore']);
    const lost = { version: 2, entries: { 'before-1': 'v1' } };
    expect(failing({ ...base, preservedInGuest: lost, preservedInFile: lost,
      record: record({ preservedIntact: false }) })).toEqual(['PreservedStateIntact']);
    expect(failing({ ...base, afterGcUsedBytes: 50 * MiB })).toEqual(['CleanAfterRestore']);
    expect(failing({ ...base, restoreToReadyMs: 2000 }))
      .toEqual(['RestoreVsBootSpeedup >= 5 (tcg)']);
    expect(failing({ ...base, record: null }))
      .toContain('GC completes and admissions resume (liveness)');
  });
});

describe('injectable bugs', () => {
  const manifest = JSON.parse(fs.readFileSync('spec/snapshot-gc/bugs/manifest.json', 'utf8')) as
    { module: string; expected: string }[];

  it('are bugs of the sheet, with the property the spec says they violate', () => {
    expect(scenario.bugs).toBe(BUGS);
    expect(BUGS.length).toBeGreaterThanOrEqual(1);
    for (const bug of BUGS) {
      const entry = manifest.find((m) => m.module === `${bug.name}.tla`);
      expect(entry?.expected).toBe(bug.property);
      expect(stepsFor(bug.name)).not.toBe(defaultGcSteps);
    }
    expect(stepsFor(undefined)).toBe(defaultGcSteps);
    expect(stepsFor('NoSuchBug')).toBeNull();
  });

  it('replace the core step they name', () => {
    const s = initGcManager({ instance: 'fn-1', snapshot: 'S', thresholdBytes: 10, maxRunning: 2,
      readIntervalMs: 10 }, ENTROPY);
    const fresh = 'cd'.repeat(32);
    expect(stepsFor('RestoreWithoutNewIdentity')!.identity(s, fresh))
      .toEqual({ generation: 1, entropy: ENTROPY });
    expect(defaultGcSteps.identity(s, fresh)).toEqual({ generation: 2, entropy: fresh });
    expect(stepsFor('RestoreWithoutTerminate')!.terminateEnds(s)).toEqual([]);
    expect(stepsFor('RestoreWithoutDrain')!.drained({ ...s, running: ['e'] })).toBe(true);
    const draining = { ...s, phase: 'draining' as const, running: ['e'] };
    const bug = stepsFor('SaveBeforeDrain')!;
    expect(bug.canSave(draining, bug)).toBe(true);
    expect(defaultGcSteps.canSave(draining, defaultGcSteps)).toBe(false);
  });
});
