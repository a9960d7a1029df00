import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameClient, killAllRoles, RoleProcess } from '../../src/runtime/node/index.ts';
import { defaultGcSteps, type GcSteps } from '../../src/snapshot/index.ts';
import { liveAgentCount } from '../../src/snapshot/backend/index.ts';
import {
  GcHost,
  hostReplySchema,
  type GcRecord,
  type HostReply,
  type HostRequest,
} from '../../src/snapshot/node/index.ts';

const MiB = 1 << 20;
const THRESHOLD = 4 * MiB;
const MAX_RUNNING = 3;
const READY = { tableEntries: 200, hashRounds: 50 };

const dirs: string[] = [];
const hosts: GcHost[] = [];

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  expect(liveAgentCount()).toBe(0);
});

async function startHost(steps: GcSteps = defaultGcSteps) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-gc-host-'));
  dirs.push(dir);
  const host = await GcHost.start({ dir, ready: READY, thresholdBytes: THRESHOLD,
    maxRunning: MAX_RUNNING, readIntervalMs: 20, steps });
  if (!host.ok) throw new Error(host.error.message);
  hosts.push(host.value);
  const client = new FrameClient<HostRequest, HostReply>({ port: host.value.port,
    responseSchema: hostReplySchema, requestTimeoutMs: 60_000 });
  return { host: host.value, client };
}

/**
 * MAX_RUNNING closed-loop workers, each submitting executions back to back (1 MiB of garbage
 * each, each writing one preserved key, some keeping a connection open), so executions are
 * running whenever a GC begins: `rounds` per worker, or (with `until`) as many as it takes, up
 * to 4 * `rounds`.
 */
async function workload(client: FrameClient<HostRequest, HostReply>, rounds: number,
  until?: () => boolean) {
  const replies: HostReply[] = [];
  const maxRounds = until === undefined ? rounds : 4 * rounds;
  await Promise.all(Array.from({ length: MAX_RUNNING }, async (_, worker) => {
    for (let round = 0; round < maxRounds && !(until?.() ?? false); round++) {
      const id = `w${worker}-${round}`;
      const r = await client.request({ type: 'execute', executionId: id, garbageBytes: MiB,
        preservedWrites: { [`done-${id}`]: 'yes', last: id }, durationMs: 30 + 40 * worker,
        openConnection: worker === 0 });
      if (!r.ok) throw new Error(r.error.message);
      replies.push(r.value);
    }
  }));
  return replies;
}

function preservedKeys(record: GcRecord): string[] {
  const state = JSON.parse(Buffer.from(record.preservedAfter, 'hex').toString('utf8'));
  return Object.keys(state.entries);
}

describe('GC host over the process backend', () => {
  it('restores past the threshold, keeping preserved state, closing connections', async () => {
    const { host, client } = await startHost();
    const replies = await workload(client, 4, () => host.records.length >= 3);
    await client.close();
    expect(replies.every((r) => r.type === 'executed')).toBe(true);
    const gcs = host.records;
    expect(gcs.length).toBeGreaterThanOrEqual(3);
    expect(host.faults).toEqual([]);
    expect(host.inputsRejected).toBe(0);
    for (const [index, gc] of gcs.entries()) {
      expect(gc.generation).toBe(index + 2);
      // The core counts max(reading, accounted) + deltas, so a reading that already saw an
      // execution's garbage before its finish arrived counts it twice: GC may start early.
      expect(gc.garbageBeforeBytes).toBeGreaterThan(0);
      expect(gc.garbageBeforeBytes).toBeLessThanOrEqual(THRESHOLD + MAX_RUNNING * MiB);
      expect(gc.garbageAfterBytes).toBe(host.snapshotRef.garbageBytes);
      expect(gc.cleanAfterRestore).toBe(true);
      expect(gc.preservedIntact).toBe(true);
      expect(gc.halfOpenAfterResume).toBe(0);
    }
    expect(gcs.some((gc) => gc.connectionsClosed > 0)).toBe(true);
    expect(new Set(gcs.map((gc) => gc.entropyHex)).size).toBe(gcs.length);
    expect(new Set(gcs.map((gc) => gc.firstRandomHex)).size).toBe(gcs.length);
    // Writes made during drains survive: every execution's key is in the preserved state.
    const finalState = await host.backend.readPreserved('fn-1');
    if (!finalState.ok) throw new Error(finalState.error.message);
    const ids = replies.map((r) => (r.type === 'executed' ? r.result.executionId : ''));
    for (const id of ids) expect(finalState.value.entries[`done-${id}`]).toBe('yes');
    expect(preservedKeys(gcs.at(-1)!).length).toBeGreaterThan(0);
    // The peer holds no connection of a replaced incarnation.
    const status = host.status();
    expect(status.gcs.length).toBe(gcs.length);
  });

  it('catches bug 2 (preserved state saved before the drain ends): writes lost', async () => {
    const steps: GcSteps = { ...defaultGcSteps,
      canSave: (s) => s.phase === 'draining' && s.awaiting === null };
    const { host, client } = await startHost(steps);
    const replies = await workload(client, 3, () => host.records.length >= 2);
    await client.close();
    expect(host.records.length).toBeGreaterThanOrEqual(1);
    expect(host.records.some((gc) => !gc.preservedIntact)).toBe(true);
    const finalState = await host.backend.readPreserved('fn-1');
    if (!finalState.ok) throw new Error(finalState.error.message);
    const lost = replies.filter((r) => r.type === 'executed'
      && finalState.value.entries[`done-${r.result.executionId}`] === undefined);
    expect(lost.length).toBeGreaterThan(0);
  });

  it('catches bug 6 (restore keeps the generation and entropy): nonces repeat', async () => {
    const steps: GcSteps = { ...defaultGcSteps,
      identity: (s) => ({ generation: s.generation, entropy: s.entropy }) };
    const { host, client } = await startHost(steps);
    await workload(client, 4);
    await client.close();
    const gcs = host.records;
    expect(gcs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(gcs.map((gc) => gc.generation)).size).toBe(1);
    // Every incarnation restored from S with the same entropy draws the same "secret" value.
    expect(new Set(gcs.map((gc) => gc.firstRandomHex)).size).toBe(1);
  });
});

describe('GC host as its own process', () => {
  it('serves executions over TCP and reports its GCs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-gc-host-main-'));
    dirs.push(dir);
    const entry = path.join(import.meta.dirname, '../../src/snapshot/node/host-main.ts');
    const role = await RoleProcess.spawn({ name: 'gc-host', entry, readyTimeoutMs: 60_000,
      args: { dir, ready: READY, thresholdBytes: 2 * MiB, maxRunning: 2, spareAgents: 1 } });
    if (!role.ok) throw new Error(role.error.message);
    const client = new FrameClient<HostRequest, HostReply>({ port: role.value.port,
      responseSchema: hostReplySchema, requestTimeoutMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await client.request({ type: 'execute', executionId: `x${i}`,
          garbageBytes: MiB, preservedWrites: { n: String(i) } });
        expect(r.ok && r.value.type).toBe('executed');
      }
      let status: HostReply | null = null;
      for (let i = 0; i < 100; i++) {
        const s = await client.request({ type: 'status' });
        if (!s.ok) throw new Error(s.error.message);
        status = s.value;
        if (status.type === 'status' && status.gcs.length >= 1 && status.phase === 'admitting') {
          break;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(status?.type).toBe('status');
      if (status?.type !== 'status') return;
      expect(status.gcs.length).toBeGreaterThanOrEqual(1);
      expect(status.gcs[0]!.cleanAfterRestore).toBe(true);
      expect(status.gcs[0]!.preservedIntact).toBe(true);
      expect(status.faults).toEqual([]);
    } finally {
      await client.close();
      // SIGTERM: the host stops its agents before it exits.
      process.kill(role.value.pid, 'SIGTERM');
      expect(await role.value.exited).toBe(0);
      await killAllRoles();
    }
  });
});
