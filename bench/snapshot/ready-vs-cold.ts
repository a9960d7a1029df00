/**
 * The process backend: time to a ready instance by restoring the ready-state snapshot against
 * a cold start that initialises to the same ready state (checked by the ready digest).
 * Samples alternate cold / restore so background load hits both alike. Two views: the host's
 * (the whole backend call: process spawn + tsx load + init or image load + resume), and the
 * agent's own (from its process start to ready: init against image load, spawn excluded).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessBackend, type ReadySpec } from '../../src/snapshot/backend/index.ts';

export type ReadyVsCold = {
  coldMs: number[];
  restoreMs: number[];
  coldAgentMs: number[];
  restoreAgentMs: number[];
  snapshotMs: number;
  imageBytes: number;
};

const entropy = (): string => randomBytes(32).toString('hex');

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/**
 * `spareAgents` 0: every instance is a new process; 1: a warm spare process (started ahead,
 * outside the timed part) becomes the instance, so only initialisation or image load is timed.
 */
export async function measureReadyVsCold(ready: ReadySpec, samples: number,
  spareAgents: number): Promise<ReadyVsCold> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-snapshot-'));
  const backend = must(await ProcessBackend.create({ dir, readyTimeoutMs: 120_000,
    spareAgents }));
  const out: ReadyVsCold = { coldMs: [], restoreMs: [], coldAgentMs: [], restoreAgentMs: [],
    snapshotMs: 0, imageBytes: 0 };
  try {
    const template = must(await backend.coldStart({ slot: 'template', ready, generation: 0,
      entropyHex: entropy() }));
    const readyDigest = must(await backend.info(template)).readyDigest;
    const t0 = performance.now();
    const snap = must(await backend.snapshot(template, path.join(dir, 'S.image')));
    out.snapshotMs = performance.now() - t0;
    out.imageBytes = snap.bytes;
    await backend.destroy(template);
    for (let i = 0; i < samples; i++) {
      const order = i % 2 === 0 ? ['cold', 'restore'] as const : ['restore', 'cold'] as const;
      for (const kind of order) {
        await backend.warm();
        const started = performance.now();
        const handle = must(kind === 'cold'
          ? await backend.coldStart({ slot: `c${i}`, ready, generation: 0, entropyHex: entropy() })
          : await backend.restore(snap, { slot: `r${i}`, generation: i + 1,
            entropyHex: entropy() }));
        const elapsedMs = performance.now() - started;
        const info = must(await backend.info(handle));
        if (info.readyDigest !== readyDigest) throw new Error(`${kind}: not the same ready state`);
        (kind === 'cold' ? out.coldMs : out.restoreMs).push(elapsedMs);
        (kind === 'cold' ? out.coldAgentMs : out.restoreAgentMs)
          .push(backend.readyMs(handle) ?? NaN);
        await backend.destroy(handle);
        await backend.warm();
      }
    }
    return out;
  } finally {
    await backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
