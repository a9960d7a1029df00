/**
 * The scenario's two phases over real VMs, each a cluster of worker managers driven through the
 * cores (driver.ts). They record what happened (`Observations`); audit.ts judges it.
 *
 *   warm (w1, w2; capacity 2; keep-alive reuse): provisions for ta and tb, warm hits (a probe
 *     and a sticky one), two concurrent acquires of one tenant, a timed-out request, then the
 *     idle VMs are reclaimed.
 *   single-use (w3; capacity 1; a reset after every run): an invocation leaves files, an env
 *     line and a process and fails; the next one runs in the reset VM and lists what is left.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterConfig, Steps } from '../../../src/sandbox/index.ts';
import type { SandboxBackend, SandboxHandle } from '../../../src/sandbox/backend/index.ts';
import { ClusterDriver, type RunOutcome, type SandboxSetup } from './driver.ts';
import {
  auditScript, kindOf, probeScript, readAudit, residueScript,
} from './invocations.ts';

export const INVOKE_TIMEOUT_MS = 20_000;
const SLOW_TIMEOUT_MS = 1_000;

export type Invocation = {
  request: string;
  tenant: string;
  sandbox: string | null;
  path: 'provisioned' | 'acquired' | 'throttled' | 'failed';
  /** Placement to the invocation's answer. */
  elapsedMs: number;
  provisionMs: number | null;
  run: RunOutcome | null;
  /** The driver that ran it (its cluster has the key, clock and revocations). */
  driver: ClusterDriver;
  problem: string | null;
  /** The invocation ran the canary probe (its output is audited for TenantIsolation). */
  probed: boolean;
};

export type ResidueObservation = {
  /** What the failing invocation's own audit listed (shows the audit sees residue). */
  ownAudit: string[];
  /** What the next invocation in the same slot listed after the reset. */
  afterReset: string[];
  pidBefore: number | null;
  pidAfter: number | null;
  sameSlot: boolean;
};

export type Observations = {
  invocations: Invocation[];
  residue: ResidueObservation[];
  /** Sandboxes held at once by the two concurrent acquires (null: throttled). */
  concurrent: (string | null)[];
  drivers: ClusterDriver[];
  resetMs: number[];
};

export type PhaseContext = {
  backend: SandboxBackend & { pidOf(handle: SandboxHandle): number | null };
  setup: SandboxSetup;
  steps: Partial<Steps>;
  long: boolean;
  progress(line: string): void;
  obs: Observations;
};

function clusterConfig(workers: string[], requests: string[], singleUse: boolean,
  capacity: number): ClusterConfig {
  return { workers, capacity, requests, fn: 'resize', versions: [1], tenants: ['ta', 'tb'],
    maxProbes: singleUse ? 0 : 1, maxRetries: 0, maxRedrives: 0, singleUse, limitFloor: 2,
    limitMax: 2, key: randomBytes(32), scope: 'invoke', timeoutMs: 10_000 };
}

/** Place and run one request; what happened goes into the observations. */
async function invoke(pc: PhaseContext, driver: ClusterDriver, request: string, tenant: string,
  script: string, options: { sticky?: string | null; timeoutMs?: number } = {}):
  Promise<Invocation> {
  const startedMs = Date.now();
  const placed = await driver.place(request, kindOf(tenant), options.sticky ?? null);
  const base = { request, tenant, driver, run: null, provisionMs: null,
    probed: script.includes('own-file:') };
  let invocation: Invocation;
  if (placed.type === 'throttled' || placed.type === 'failed') {
    invocation = { ...base, sandbox: null, path: placed.type, elapsedMs: Date.now() - startedMs,
      problem: placed.type === 'failed' ? placed.message : null };
  } else {
    const run = await driver.run(request, script, options.timeoutMs ?? INVOKE_TIMEOUT_MS);
    const ran = typeof run === 'string' ? null : run;
    if (ran?.resetMs !== null && ran?.resetMs !== undefined) pc.obs.resetMs.push(ran.resetMs);
    invocation = { ...base, sandbox: placed.sandbox, path: placed.type, run: ran,
      elapsedMs: Date.now() - startedMs, problem: typeof run === 'string' ? run : ran?.error ??
        null, provisionMs: placed.type === 'provisioned' ? placed.provisionMs : null };
  }
  pc.obs.invocations.push(invocation);
  pc.progress(`  ${request} (${tenant}): ${invocation.path} ${invocation.sandbox ?? ''} ` +
    `${invocation.elapsedMs} ms${invocation.problem === null ? '' : ` — ${invocation.problem}`}`);
  return invocation;
}

async function reclaim(pc: PhaseContext, driver: ClusterDriver, sandbox: string): Promise<void> {
  const problem = await driver.reclaim(sandbox);
  if (problem !== null) pc.progress(`  reclaim ${sandbox}: ${problem}`);
}

/**
 * `beforeReclaim` gets the last idle sandbox (tenant ta's first), alone, for the backend's own
 * audits (exec contract, snapshot/restore).
 */
export async function warmPhase(pc: PhaseContext,
  beforeReclaim: (handle: SandboxHandle) => Promise<void>): Promise<void> {
  const extra = pc.long ? ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'] : [];
  const requests = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', ...extra];
  const driver = new ClusterDriver(clusterConfig(['w1', 'w2'], requests, false, 2), pc.steps,
    pc.backend, pc.setup, (h) => pc.backend.pidOf(h));
  pc.obs.drivers.push(driver);
  pc.progress('warm phase: worker managers w1, w2 (keep-alive reuse)');
  await invoke(pc, driver, 'r1', 'ta', probeScript('ta'));
  const r2 = await invoke(pc, driver, 'r2', 'tb', probeScript('tb'));
  await invoke(pc, driver, 'r3', 'ta', probeScript('ta'));
  await invoke(pc, driver, 'r4', 'tb', probeScript('tb'), { sticky: r2.sandbox });
  const both = await Promise.all(['r5', 'r6'].map((r) =>
    invoke(pc, driver, r, 'ta', probeScript('ta'))));
  pc.obs.concurrent = both.map((i) => i.sandbox);
  await invoke(pc, driver, 'r7', 'tb', 'sleep 5', { timeoutMs: SLOW_TIMEOUT_MS });
  for (const [i, r] of extra.entries()) {
    const tenant = i % 2 === 0 ? 'ta' : 'tb';
    await invoke(pc, driver, r, tenant, probeScript(tenant));
  }
  const first = pc.obs.invocations.find((i) => i.request === 'r1')?.sandbox ?? null;
  pc.progress('warm phase: reclaiming the idle VMs');
  const others = [...driver.handles.keys()].filter((s) => s !== first).sort();
  for (const sandbox of others) await reclaim(pc, driver, sandbox);
  const idle = first === null ? undefined : driver.handles.get(first);
  if (idle !== undefined) await beforeReclaim(idle);
  if (first !== null) await reclaim(pc, driver, first);
}

export async function singleUsePhase(pc: PhaseContext): Promise<void> {
  const cycles = pc.long ? 3 : 1;
  const requests = Array.from({ length: cycles }, (_, i) => [`u${2 * i + 1}`, `u${2 * i + 2}`])
    .flat();
  const driver = new ClusterDriver(clusterConfig(['w3'], requests, true, 1), pc.steps,
    pc.backend, pc.setup, (h) => pc.backend.pidOf(h));
  pc.obs.drivers.push(driver);
  pc.progress('single-use phase: worker manager w3 (reset after every run)');
  for (let i = 0; i < cycles; i++) {
    const [dirty, next] = [`u${2 * i + 1}`, `u${2 * i + 2}`];
    const script = `${residueScript(dirty)}\n${auditScript()}\nexit 3`;
    const failing = await invoke(pc, driver, dirty, 'ta', script);
    const pidBefore = failing.run?.pidDuringRun ?? null;
    const clean = await invoke(pc, driver, next, 'ta', `${auditScript()}\n${probeScript('ta')}`);
    pc.obs.residue.push({
      ownAudit: auditLines(failing.run), afterReset: auditLines(clean.run), pidBefore,
      pidAfter: clean.run?.pidDuringRun ?? null,
      sameSlot: failing.sandbox !== null && failing.sandbox === clean.sandbox,
    });
  }
}

function auditLines(run: RunOutcome | null): string[] {
  return readAudit(run?.result?.stdout ?? '');
}
