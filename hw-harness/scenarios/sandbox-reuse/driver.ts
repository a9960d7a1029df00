/**
 * Drives the sandbox-reuse cores (src/sandbox: the spec-aligned cluster composition of frontend
 * placement, worker managers, limiter and credential minting) against a real SandboxBackend.
 * Each protocol step is the cluster's `applyAction` (the cores' own step functions); the driver
 * only chooses among the enabled actions (the randomness a frontend gets from its driver) and
 * does what a step means for real sandboxes:
 *
 *   a placement that leaves a slot Provisioning  -> backend.boot, then Ready
 *   Start                                         -> backend.exec of the invocation
 *   the exec's answer                             -> Complete / Fail / Timeout
 *   Release (warm mode), a sandbox in Resetting   -> Release; backend.reset, then Reset
 *   Reclaim                                       -> backend.destroy
 *
 * After every step all the spec's invariants are evaluated on the cores' state; the first
 * violation of each is kept for the report.
 */
import {
  applyAction, enabledActions, initCluster, violatedInvariants, type Cluster, type ClusterAction,
  type ClusterConfig, type InvariantName, type Kind, type ScopedCredential, type Steps,
} from '../../../src/sandbox/index.ts';
import type {
  BootSpec, ExecResult, SandboxBackend, SandboxHandle,
} from '../../../src/sandbox/backend/index.ts';
import { CREDENTIAL_ENV, kindLabel } from './invocations.ts';

export type PlaceOutcome =
  | { type: 'acquired'; sandbox: string }
  | { type: 'provisioned'; sandbox: string; provisionMs: number }
  | { type: 'throttled' }
  | { type: 'failed'; message: string };

export type RunOutcome = {
  result: ExecResult | null;
  error: string | null;
  credential: ScopedCredential;
  /** The cluster clock while the request ran, and the revocation list then. */
  clockMs: number;
  revokedAtRun: ReadonlySet<string>;
  /** The VMM (or agent) process of the sandbox while the request ran. */
  pidDuringRun: number | null;
  resetMs: number | null;
};

/** What a sandbox of a kind is booted with (the tenant's canary env and files). */
export type SandboxSetup = (kind: Kind) => Omit<BootSpec, 'id' | 'kind'>;

type PlacingAction = Extract<ClusterAction, { action: 'Probe' | 'Provision' | 'Sticky' }>;

export class ClusterDriver {
  cluster: Cluster;
  steps = 0;
  readonly firstViolation = new Map<InvariantName, string>();
  readonly handles = new Map<string, SandboxHandle>();
  private generation = 0;

  constructor(
    config: ClusterConfig,
    coreSteps: Partial<Steps>,
    private readonly backend: SandboxBackend,
    private readonly setup: SandboxSetup,
    private readonly pidOf: (handle: SandboxHandle) => number | null = () => null,
  ) {
    this.cluster = initCluster(config, coreSteps);
  }

  /** One protocol step through the cores, then every invariant on the new state. */
  apply(action: ClusterAction): void {
    this.cluster = applyAction(this.cluster, action);
    this.steps += 1;
    for (const name of violatedInvariants(this.cluster)) {
      if (!this.firstViolation.has(name)) {
        this.firstViolation.set(name, `after step ${this.steps} ${action.label}`);
      }
    }
  }

  enabledFor(request: string): ClusterAction[] {
    return enabledActions(this.cluster).filter((a) => 'r' in a.params && a.params.r === request);
  }

  /** Accept and place `request`; a Provisioning slot is booted on the backend, then Ready. */
  async place(request: string, kind: Kind, sticky: string | null = null): Promise<PlaceOutcome> {
    const accept = this.enabledFor(request).find((a) => a.action === 'Accept' &&
      kindLabel(a.params.k as Kind) === kindLabel(kind));
    if (accept === undefined) return { type: 'failed', message: `Accept(${request}) not enabled` };
    this.apply(accept);
    while (this.cluster.requests[request]?.phase === 'placing') {
      const next = choosePlacement(this.cluster, request, sticky);
      if (next === null) return { type: 'failed', message: `${request}: no placement step` };
      this.apply(next);
    }
    const state = this.cluster.requests[request];
    if (state?.phase === 'throttled') return { type: 'throttled' };
    const sandbox = state?.sandbox ?? null;
    if (sandbox === null) return { type: 'failed', message: `${request} ended ${state?.phase}` };
    if (sandboxPhase(this.cluster, sandbox) !== 'Provisioning') {
      return { type: 'acquired', sandbox };
    }
    const startedMs = Date.now();
    const booted = await this.boot(sandbox, kind);
    if (!booted.ok) return { type: 'failed', message: booted.message };
    this.apply(upkeepAction(this.cluster, 'Ready', sandbox));
    return { type: 'provisioned', sandbox, provisionMs: Date.now() - startedMs };
  }

  /**
   * Start the placed request, run `script` in its sandbox with its credential in the env,
   * end it by the exec's answer, and let its worker manager release (and reset) the sandbox.
   */
  async run(request: string, script: string, timeoutMs: number): Promise<RunOutcome | string> {
    const start = this.enabledFor(request).find((a) => a.action === 'Start');
    if (start === undefined) return `Start(${request}) not enabled`;
    this.apply(start);
    const sandbox = this.cluster.requests[request]?.sandbox ?? null;
    const handle = sandbox === null ? undefined : this.handles.get(sandbox);
    const credential = [...this.cluster.minted].reverse().find((m) => m.request === request);
    if (sandbox === null || handle === undefined || credential === undefined) {
      return `${request}: no sandbox, handle or credential after Start`;
    }
    const { clockMs, revoked: revokedAtRun } = this.cluster;
    const pidDuringRun = this.pidOf(handle);
    const exec = await this.backend.exec(handle, { command: 'sh', args: ['-c', script],
      env: { [CREDENTIAL_ENV]: JSON.stringify(credential), REQUEST_ID: request }, timeoutMs });
    const result = exec.ok ? exec.value : null;
    const end = result === null ? 'Fail' : result.timedOut ? 'Timeout'
      : result.exitCode === 0 ? 'Complete' : 'Fail';
    const ending = this.enabledFor(request).find((a) => a.action === end);
    if (ending === undefined) return `${end}(${request}) not enabled`;
    this.apply(ending);
    const settled = await this.settle(sandbox);
    const error = !exec.ok ? `${exec.error.code}: ${exec.error.message}`
      : typeof settled === 'string' ? settled : null;
    return { result, error, credential, clockMs, revokedAtRun, pidDuringRun,
      resetMs: typeof settled === 'number' ? settled : null };
  }

  /** Deliver the sandbox's Release (warm mode); reset it on the backend if it is Resetting. */
  async settle(sandbox: string): Promise<number | null | string> {
    if (this.cluster.releasing[sandbox] !== undefined) {
      this.apply(upkeepAction(this.cluster, 'Release', sandbox));
    }
    if (sandboxPhase(this.cluster, sandbox) !== 'Resetting') return null;
    const handle = this.handles.get(sandbox);
    if (handle === undefined) return `no handle for ${sandbox}`;
    const startedMs = Date.now();
    const reset = await this.backend.reset(handle);
    if (!reset.ok) return `reset ${sandbox}: ${reset.error.message}`;
    const resetMs = Date.now() - startedMs;
    this.apply(upkeepAction(this.cluster, 'Reset', sandbox));
    return resetMs;
  }

  /** Reclaim an idle sandbox (its keep-alive ran out) and destroy its VM. */
  async reclaim(sandbox: string): Promise<string | null> {
    this.apply(upkeepAction(this.cluster, 'Reclaim', sandbox));
    const handle = this.handles.get(sandbox);
    this.handles.delete(sandbox);
    if (handle === undefined) return `no handle for ${sandbox}`;
    const destroyed = await this.backend.destroy(handle);
    return destroyed.ok ? null : destroyed.error.message;
  }

  private async boot(sandbox: string, kind: Kind): Promise<{ ok: true } | { ok: false;
    message: string }> {
    this.generation += 1;
    const id = `${sandbox.replace(/[^A-Za-z0-9]/g, '-')}-g${this.generation}`;
    const booted = await this.backend.boot({ id, kind: kindLabel(kind), ...this.setup(kind) });
    if (!booted.ok) return { ok: false, message: `boot ${sandbox}: ${booted.error.message}` };
    this.handles.set(sandbox, booted.value);
    return { ok: true };
  }
}

function sandboxPhase(c: Cluster, sandbox: string): string | null {
  for (const w of Object.values(c.workers)) {
    const found = w.sandboxes.find((s) => s.id === sandbox);
    if (found !== undefined) return found.phase;
  }
  return null;
}

function upkeepAction(c: Cluster, action: 'Ready' | 'Release' | 'Reset' | 'Reclaim',
  sandbox: string): ClusterAction {
  const found = enabledActions(c).find((a) => a.action === action && 's' in a.params &&
    a.params.s === sandbox);
  if (found === undefined) throw new Error(`assertion: ${action}(${sandbox}) not enabled`);
  return found;
}

const acquires = (a: ClusterAction): a is PlacingAction =>
  (a.action === 'Probe' || a.action === 'Provision' || a.action === 'Sticky') &&
  a.params.s !== null;

/**
 * The driver's choice for a placing request (the frontend's randomness, made to cover the
 * scenario): the named sandbox if asked for; else an ask that acquires (a probe before a
 * provision); else a miss after which an ask acquires; else any miss; else Throttle.
 */
export function choosePlacement(c: Cluster, request: string, sticky: string | null):
  ClusterAction | null {
  const mine = enabledActions(c).filter((a) => 'r' in a.params && a.params.r === request);
  if (sticky !== null) {
    const named = mine.find((a) => a.action === 'Sticky' && a.params.s === sticky);
    if (named !== undefined) return named;
  }
  const placing = mine.filter((a) => a.action !== 'Sticky');
  const acquiring = placing.filter(acquires);
  const probe = acquiring.find((a) => a.action === 'Probe');
  if (probe !== undefined || acquiring[0] !== undefined) return probe ?? acquiring[0] ?? null;
  const misses = placing.filter((a) => a.action === 'Probe' || a.action === 'Provision');
  const promising = misses.find((a) => enabledActions(applyAction(c, a)).some((b) =>
    'r' in b.params && b.params.r === request && b.action !== 'Sticky' && acquires(b)));
  return promising ?? misses[0] ?? placing.find((a) => a.action === 'Throttle') ?? null;
}
