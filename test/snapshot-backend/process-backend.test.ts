import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  liveAgentCount,
  ProcessBackend,
  type InstanceHandle,
  type SnapshotRef,
} from '../../src/snapshot/backend/index.ts';

const READY = { tableEntries: 200, hashRounds: 50 };
const entropy = (): string => randomBytes(32).toString('hex');

let dir: string;
let backend: ProcessBackend;
let template: InstanceHandle;
let snap: SnapshotRef;

function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string;
  message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-snapshot-backend-'));
  backend = must(await ProcessBackend.create({ dir, requestTimeoutMs: 5000 }));
  template = must(await backend.coldStart({ slot: 'template', ready: READY, generation: 0,
    entropyHex: entropy() }));
  snap = must(await backend.snapshot(template, path.join(dir, 'S.image')));
});

afterAll(async () => {
  await backend.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('process backend', () => {
  it('snapshots the ready state durably, with no garbage', async () => {
    expect(backend.describe()).toBe('process');
    expect(snap.garbageBytes).toBe(0);
    expect(fs.statSync(snap.path).size).toBe(snap.bytes);
    const info = must(await backend.info(template));
    expect(info.stateDigest).toBe(snap.stateDigest);
    expect(info.origin).toBe('cold');
  });

  it('restore resets garbage and all non-preserved state to the snapshot', async () => {
    const a = must(await backend.restore(snap, { slot: 'a', generation: 1,
      entropyHex: entropy() }));
    for (let i = 0; i < 3; i++) {
      must(await backend.execute(a, { executionId: `e${i}`, garbageBytes: 1 << 20 }));
    }
    expect(must(await backend.garbage(a))).toBe(3 << 20);
    const dirty = must(await backend.info(a));
    expect(dirty.stateDigest).not.toBe(snap.stateDigest);
    await backend.destroy(a);
    const b = must(await backend.restore(snap, { slot: 'a', generation: 2,
      entropyHex: entropy() }));
    const clean = must(await backend.info(b));
    expect(clean.garbageBytes).toBe(0);
    expect(clean.executions).toBe(0);
    expect(clean.stateDigest).toBe(snap.stateDigest);
    expect(clean.generation).toBe(2);
    expect(clean.origin).toBe('restore');
    await backend.destroy(b);
  });

  it('preserved state lives outside the image and survives a restore', async () => {
    const a = must(await backend.restore(snap, { slot: 'p', generation: 1,
      entropyHex: entropy() }));
    must(await backend.execute(a, { executionId: 'w1', garbageBytes: 10,
      preservedWrites: { counter: '1', cache: 'warm' } }));
    must(await backend.execute(a, { executionId: 'w2', garbageBytes: 10,
      preservedWrites: { counter: '2' } }));
    const before = must(await backend.readPreserved('p'));
    expect(before.entries).toEqual({ counter: '2', cache: 'warm' });
    await backend.destroy(a);
    const b = must(await backend.restore(snap, { slot: 'p', generation: 2,
      entropyHex: entropy() }));
    expect(must(await backend.readPreserved('p'))).toEqual(before);
    // The restored instance keeps writing on top of it.
    must(await backend.execute(b, { executionId: 'w3', garbageBytes: 0,
      preservedWrites: { counter: '3' } }));
    expect(must(await backend.readPreserved('p')).entries).toEqual({ counter: '3',
      cache: 'warm' });
    // Another slot starts empty: the store belongs to the slot, not to the image.
    expect(must(await backend.readPreserved('other')).entries).toEqual({});
    await backend.destroy(b);
  });

  it('closes connections on both ends', async () => {
    const a = must(await backend.restore(snap, { slot: 'c', generation: 1,
      entropyHex: entropy() }));
    const c1 = must(await backend.openConnection(a));
    const c2 = must(await backend.openConnection(a));
    expect(c1.state).toBe('open');
    await waitFor(() => backend.peerOpenConnections(a) === 2);
    const report = must(await backend.closeConnections(a));
    expect(report.closed.sort()).toEqual([c1.connectionId, c2.connectionId].sort());
    expect(report.peerSawClose.sort()).toEqual(report.closed.sort());
    expect(backend.peerOpenConnections(a)).toBe(0);
    expect(must(await backend.connections(a))).toEqual([]);
    await backend.destroy(a);
  });

  it('closing only the peer end leaves the instance believing it open (half-open)', async () => {
    const a = must(await backend.restore(snap, { slot: 'q', generation: 1,
      entropyHex: entropy() }));
    const c = must(await backend.openConnection(a));
    await waitFor(() => backend.peerOpenConnections(a) === 1);
    const report = must(await backend.closeConnections(a, ['peer']));
    expect(report.closed).toEqual([]);
    expect(report.peerSawClose).toEqual([c.connectionId]);
    expect(backend.peerOpenConnections(a)).toBe(0);
    let states: string[] = [];
    for (let i = 0; i < 50 && states[0] !== 'half-open'; i++) {
      states = must(await backend.connections(a)).map((x) => x.state);
      if (states[0] !== 'half-open') await new Promise((r) => setTimeout(r, 20));
    }
    expect(states).toEqual(['half-open']);
    // Closing none leaves everything as it was.
    const none = must(await backend.closeConnections(a, []));
    expect(none.closed).toEqual([]);
    await backend.destroy(a);
  });

  it('an image taken with an open connection restores it half-open', async () => {
    const a = must(await backend.restore(snap, { slot: 'h', generation: 1,
      entropyHex: entropy() }));
    const c = must(await backend.openConnection(a));
    const dirty = must(await backend.snapshot(a, path.join(dir, 'dirty.image')));
    const b = must(await backend.restore(dirty, { slot: 'h2', generation: 2,
      entropyHex: entropy() }));
    const seen = must(await backend.connections(b));
    expect(seen).toEqual([{ connectionId: c.connectionId, localPort: c.localPort,
      state: 'half-open' }]);
    expect(backend.peerOpenConnections(b)).toBe(0);
    await backend.destroy(a);
    await backend.destroy(b);
  });

  it('fresh entropy per restore gives distinct streams; reused entropy repeats', async () => {
    const e1 = entropy();
    const e2 = entropy();
    const restoreWith = async (slot: string, generation: number, e: string) =>
      must(await backend.restore(snap, { slot, generation, entropyHex: e }));
    const [x, y, z] = await Promise.all([restoreWith('r1', 1, e1), restoreWith('r2', 2, e2),
      restoreWith('r3', 1, e1)]);
    const rx = must(await backend.random(x, 32));
    const ry = must(await backend.random(y, 32));
    const rz = must(await backend.random(z, 32));
    expect(rx).toMatch(/^[0-9a-f]{64}$/);
    expect(rx).not.toBe(ry);
    // Same snapshot, same generation and entropy: the same "secret" stream, the bug that fresh
    // entropy prevents.
    expect(rz).toBe(rx);
    // Executions draw nonces from the same stream.
    const nx = must(await backend.execute(x, { executionId: 'n', garbageBytes: 0 }));
    const nz = must(await backend.execute(z, { executionId: 'n', garbageBytes: 0 }));
    expect(nx.nonceHex).toBe(nz.nonceHex);
    await Promise.all([x, y, z].map((h) => backend.destroy(h)));
  });

  it('a killed agent is reported, not hung', async () => {
    const a = must(await backend.restore(snap, { slot: 'k', generation: 1,
      entropyHex: entropy() }));
    const pid = backend.pid(a);
    expect(pid).not.toBeNull();
    const running = backend.execute(a, { executionId: 'slow', garbageBytes: 0,
      durationMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    process.kill(pid!, 'SIGKILL');
    const t0 = Date.now();
    const r = await running;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('agent-exited');
    expect(Date.now() - t0).toBeLessThan(2000);
    const after = await backend.garbage(a);
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.error.code).toBe('unknown-instance');
  });

  it('refuses a torn or edited snapshot', async () => {
    const bad = path.join(dir, 'bad.image');
    const image = JSON.parse(fs.readFileSync(snap.path, 'utf8'));
    image.image.executions = 7;
    fs.writeFileSync(bad, JSON.stringify(image));
    const r = await backend.restore({ ...snap, path: bad }, { slot: 'x', generation: 1,
      entropyHex: entropy() });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(['spawn-failed', 'snapshot-invalid']).toContain(r.error.code);
    fs.writeFileSync(bad, '{"image":');
    const torn = await backend.restore({ ...snap, path: bad }, { slot: 'x', generation: 1,
      entropyHex: entropy() });
    expect(torn.ok).toBe(false);
  });

  it('warm spare agents give the same instances as fresh processes', async () => {
    const warm = must(await ProcessBackend.create({ dir: path.join(dir, 'warm'),
      spareAgents: 1 }));
    try {
      const e = entropy();
      const viaSpare = must(await warm.restore(snap, { slot: 's', generation: 5, entropyHex: e }));
      const viaSpawn = must(await backend.restore(snap, { slot: 's2', generation: 5,
        entropyHex: e }));
      const info = must(await warm.info(viaSpare));
      expect(info.stateDigest).toBe(snap.stateDigest);
      expect(info.generation).toBe(5);
      expect(must(await warm.random(viaSpare, 16))).toBe(must(await backend.random(viaSpawn, 16)));
      await backend.destroy(viaSpawn);
      const cold = must(await warm.coldStart({ slot: 'c', ready: READY, generation: 0,
        entropyHex: entropy() }));
      expect(must(await warm.info(cold)).readyDigest).toBe(info.readyDigest);
      expect(warm.readyMs(cold)).toBeGreaterThan(0);
      const bad = path.join(dir, 'bad-warm.image');
      fs.writeFileSync(bad, '{"image":');
      const torn = await warm.restore({ ...snap, path: bad }, { slot: 'x', generation: 1,
        entropyHex: entropy() });
      expect(torn.ok).toBe(false);
    } finally {
      await warm.close();
    }
  });

  it('leaves no agent behind', async () => {
    await backend.destroy(template);
    expect(liveAgentCount()).toBe(0);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
