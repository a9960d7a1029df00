/**
 * sandbox-reuse through real processes: 2 frontends, 3 worker managers (process backend,
 * single-use mode), tenants A and B.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllRoles } from '../../src/runtime/node/index.ts';
import { SandboxCluster, type InvokeResult } from '../../src/sandbox/node/index.ts';

const SECRET = 'canary-secret-of-A-7f3a';
let cluster: SandboxCluster;

function kind(tenant: string) {
  return { fn: 'f', version: 1, tenant };
}

async function invoke(fe: number, requestId: string, tenant: string, payload: string,
  sandbox: string | null = null): Promise<InvokeResult> {
  const r = await cluster.invoke(fe, { requestId, kind: kind(tenant), sandbox, payload });
  if (!r.ok) throw new Error(`${requestId}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** Wait until no sandbox of the worker is being reset (single-use resets run after replies). */
async function settled(worker: string | null): Promise<void> {
  if (worker === null) return;
  for (let i = 0; i < 100; i++) {
    const s = await cluster.workerStats(worker);
    if (s.ok && (s.value.phases.Resetting ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const started = await SandboxCluster.start({ frontends: 2, workers: 3, capacity: 4,
    singleUse: true, maxProbes: 2, maxRetries: 1, runTimeoutMs: 4000, askTimeoutMs: 800 });
  if (!started.ok) throw new Error(started.error.message);
  cluster = started.value;
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await killAllRoles();
});

describe('sandbox-reuse node cluster', () => {
  it('reuses warm sandboxes, and a single-use reset leaves nothing of the last request',
    async () => {
      const payload = `ls -A; echo "${SECRET}" > canary.txt; echo "TENANT=$TENANT"`;
      const results: InvokeResult[] = [];
      let sticky: string | null = null;
      for (let i = 0; i < 6; i++) {
        const r = await invoke(i % 2, `warm-${i}`, 'A', payload, sticky);
        expect(r.outcome).toBe('completed');
        // ls -A printed nothing: no canary (nor anything else) from an earlier request
        expect(r.result).toBe('TENANT=A\n');
        results.push(r);
        sticky = r.sandbox;
        await settled(r.worker);
      }
      expect(results.filter((r) => r.warm).length).toBeGreaterThanOrEqual(3);
      const stats = await Promise.all(['wm-1', 'wm-2', 'wm-3'].map((w) => cluster.workerStats(w)));
      const total = stats.reduce((n, s) => n + (s.ok ? s.value.warmHits : 0), 0);
      expect(total).toBe(results.filter((r) => r.warm).length);
      expect(stats.reduce((n, s) => n + (s.ok ? s.value.resets : 0), 0)).toBeGreaterThanOrEqual(6);
    }, 40_000);

  it('never lets tenant B read tenant A\'s canary, even while A runs', async () => {
    const holdA = invoke(0, 'iso-a', 'A', `echo "${SECRET}" > canary.txt; export X=${SECRET};`
      + ' sleep 1.5; echo held');
    await new Promise((r) => setTimeout(r, 500));
    const snoop = [
      'cat canary.txt 2>/dev/null', 'env', 'cat ../*/canary.txt 2>/dev/null',
      'cat /tmp/plumbline-sbx-*/sandboxes/*/canary.txt 2>/dev/null',
      'cat /tmp/plumbline-sbx-*/clean/*/canary.txt 2>/dev/null', 'echo "TENANT=$TENANT"',
    ].join('; ');
    const readers = await Promise.all([invoke(1, 'iso-b1', 'B', snoop),
      invoke(0, 'iso-b2', 'B', snoop)]);
    for (const b of readers) {
      expect(b.outcome).toBe('completed');
      expect(b.result).toContain('TENANT=B');
      expect(b.result).not.toContain(SECRET);
      expect(b.result).not.toContain('PLUMBLINE_SANDBOX_KEY'); // the host's env stays out
    }
    const a = await holdA;
    expect(a.outcome).toBe('completed');
    expect(a.result).toBe('held\n');
    expect(readers.map((b) => b.sandbox)).not.toContain(a.sandbox);
  }, 30_000);

  it('gives each run a credential scoped to its request and sandbox, revoked at the end',
    async () => {
      const r = await invoke(1, 'cred-1', 'A', 'echo "$PLUMBLINE_CREDENTIAL"');
      expect(r).toMatchObject({ outcome: 'completed' });
      const credential = JSON.parse(r.result ?? 'null') as { request: string; sandbox: string;
        mac: string };
      expect(credential.request).toBe('cred-1');
      expect(credential.sandbox).toBe(r.sandbox);
      const worker = r.worker!;
      expect(await cluster.verify(worker, r.sandbox!, credential))
        .toEqual({ ok: false, code: 'revoked' });
      expect(await cluster.verify(worker, `${worker}#99`, credential))
        .toEqual({ ok: false, code: 'wrong-sandbox' });
      const forged = { ...credential, request: 'cred-2' };
      expect(await cluster.verify(worker, r.sandbox!, forged))
        .toEqual({ ok: false, code: 'bad-mac' });
    }, 20_000);

  it('a worker manager SIGKILLed mid-request: the request ends exactly once', async () => {
    const pending = invoke(0, 'kill-1', 'A', 'sleep 1.5; echo survived');
    let victim: string | null = null;
    for (let i = 0; i < 100 && victim === null; i++) {
      for (const w of ['wm-1', 'wm-2', 'wm-3']) {
        const s = await cluster.workerStats(w);
        if (s.ok && (s.value.phases.Busy ?? 0) + (s.value.phases.Provisioning ?? 0) > 0) victim = w;
      }
      if (victim === null) await new Promise((r) => setTimeout(r, 30));
    }
    expect(victim).not.toBeNull();
    await cluster.killWorker(victim!);
    const r = await pending;
    expect(['completed', 'throttled', 'failed']).toContain(r.outcome);
    if (r.outcome === 'completed') {
      expect(r.result).toBe('survived\n');
      expect(r.worker).not.toBe(victim);
      expect(r.tries).toBe(2);
    }
    const again = await invoke(0, 'kill-1', 'A', 'echo must-not-run');
    expect(again).toEqual(r);
    const fe = await cluster.frontendStats(0);
    if (!fe.ok) throw new Error(fe.error.message);
    expect(fe.value.ends['kill-1']).toBe(1);
    const stored = fe.value.failureStore.filter((e) => e.request === 'kill-1');
    expect(stored).toHaveLength(r.outcome === 'failed' ? 1 : 0);
    // the cluster still serves on the survivors
    // (an explicit throttle is the core's answer when the survivors' slots all hold idle
    // sandboxes of other kinds; a client retries it)
    let after = await invoke(1, 'after-kill-0', 'B', 'echo fine');
    for (let i = 1; i < 4 && after.outcome === 'throttled'; i++) {
      await new Promise((r) => setTimeout(r, 300));
      after = await invoke(1, `after-kill-${i}`, 'B', 'echo fine');
    }
    expect(after).toMatchObject({ outcome: 'completed' });
    expect(after.worker).not.toBe(victim);
  }, 30_000);
});
