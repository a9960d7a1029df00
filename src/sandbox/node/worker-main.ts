/**
 * The worker manager process: the core `workerManager` (src/sandbox/worker-manager.ts) over the
 * process backend. Every frame is one core step, applied synchronously (so an acquire checks and
 * takes in one step, whatever else is in flight); the effects then run on real sandboxes:
 *   provision -> backend.boot (a new agent process), then the core's `ready`
 *   reset      -> backend.reset (kill, clean directory, respawn), then the core's `reset`
 *   destroy    -> backend.destroy (after the keep-alive's `reclaim`)
 * Run: node --import tsx worker-main.ts '<json args>'
 */
import {
  announceReady, parseRoleArgs, startFrameServer,
} from '../../runtime/node/index.ts';
import {
  revoke, verifyCredential, workerManager as wm, type Acquire, type AcquireReply, type Kind,
  type Outcome, type RevocationList, type WorkerEffect, type WorkerState,
} from '../index.ts';
import { ProcessBackend, type SandboxHandle } from '../backend/index.ts';
import {
  INVOKE_SCOPE, KEY_ENV, keyFromEnv, workerArgsSchema, workerRequestSchema, type Run, type VerifyReply,
  type WorkerArgs, type WorkerReply, type WorkerStats,
} from './wire.ts';

type Live = {
  /** The backend sandbox behind the core's slot (a new one per provision). */
  handle: Promise<SandboxHandle | null>;
  warm: boolean;
};

type Worker = {
  args: WorkerArgs;
  core: WorkerState;
  backend: ProcessBackend;
  live: Map<string, Live>;
  idleTimers: Map<string, NodeJS.Timeout>;
  generation: number;
  stats: Omit<WorkerStats, 'type' | 'worker' | 'phases' | 'badFrames'>;
  badFrames: () => number;
  key: Uint8Array;
  /** Revoked credentials (their MACs), each kept until its expiry. */
  revoked: RevocationList;
  revokedUntilMs: Map<string, number>;
};

function fail(message: string, code: number): never {
  process.stderr.write(`worker: ${message}\n`);
  process.exit(code);
}

const pickIndex = (n: number): number => Math.floor(Math.random() * n);
const kindLabel = (k: Kind): string => `${k.tenant}/${k.fn}@${k.version}`;

function backendId(w: Worker, slotId: string): string {
  w.generation += 1;
  return `${slotId.replace(/[^A-Za-z0-9._-]/g, '-')}-g${w.generation}`;
}

function runEffects(w: Worker, effects: readonly WorkerEffect[]): void {
  for (const effect of effects) {
    switch (effect.type) {
      case 'provision': {
        w.stats.provisions += 1;
        const spec = { id: backendId(w, effect.sandbox), kind: kindLabel(effect.kind),
          env: { TENANT: effect.kind.tenant, FUNCTION: effect.kind.fn } };
        const handle = w.backend.boot(spec).then((r) => (r.ok ? r.value : null));
        w.live.set(effect.sandbox, { handle, warm: false });
        break;
      }
      case 'reset':
        void resetSandbox(w, effect.sandbox);
        break;
      case 'destroy': {
        const live = w.live.get(effect.sandbox);
        w.live.delete(effect.sandbox);
        void live?.handle.then((h) => (h === null ? undefined : w.backend.destroy(h)));
        break;
      }
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

async function resetSandbox(w: Worker, slotId: string): Promise<void> {
  const live = w.live.get(slotId);
  const handle = live === undefined ? null : await live.handle;
  const reset = handle === null ? null : await w.backend.reset(handle);
  if (reset === null || !reset.ok) {
    // No clean sandbox to go back to: boot a fresh one in its place (a reset all the same).
    const kind = w.core.sandboxes.find((s) => s.id === slotId)?.kind;
    if (handle !== null) await w.backend.destroy(handle);
    if (kind !== null && kind !== undefined) {
      const spec = { id: backendId(w, slotId), kind: kindLabel(kind),
        env: { TENANT: kind.tenant, FUNCTION: kind.fn } };
      w.live.set(slotId, { handle: w.backend.boot(spec).then((r) => (r.ok ? r.value : null)),
        warm: true });
    }
  }
  w.stats.resets += 1;
  step(w, wm.reset(w.core, slotId));
  armKeepAlive(w, slotId);
}

function step(w: Worker, outcome: ReturnType<typeof wm.reset>): boolean {
  if (!outcome.ok) return false;
  w.core = outcome.step.state;
  runEffects(w, outcome.step.effects);
  return true;
}

function armKeepAlive(w: Worker, slotId: string): void {
  clearTimeout(w.idleTimers.get(slotId));
  const timer = setTimeout(() => {
    w.idleTimers.delete(slotId);
    if (w.core.sandboxes.find((s) => s.id === slotId)?.phase !== 'Idle') return;
    if (step(w, wm.reclaim(w.core, slotId))) w.stats.reclaims += 1;
  }, w.args.keepAliveMs);
  timer.unref();
  w.idleTimers.set(slotId, timer);
}

function acquire(w: Worker, m: Acquire): AcquireReply {
  const taken = m.mode === 'named'
    ? wm.acquireNamed(w.core, m.requestId, m.kind, m.sandbox ?? '')
    : wm.acquire(w.core, m.requestId, m.kind, m.mode, pickIndex);
  w.core = taken.state;
  runEffects(w, taken.effects);
  const result = taken.result;
  if (result.outcome === 'miss') return { type: 'AcquireReply', requestId: m.requestId,
    outcome: 'miss', worker: w.args.name };
  if (result.outcome === 'acquired') {
    clearTimeout(w.idleTimers.get(result.sandbox));
    const live = w.live.get(result.sandbox);
    if (live !== undefined) live.warm = true;
  }
  return { type: 'AcquireReply', requestId: m.requestId, outcome: result.outcome,
    worker: w.args.name, sandbox: result.sandbox };
}

async function run(w: Worker, m: Run): Promise<WorkerReply> {
  const slot = w.core.sandboxes.find((s) => s.id === m.sandbox);
  const live = w.live.get(m.sandbox);
  if (slot === undefined || live === undefined || slot.request !== m.requestId) {
    return { type: 'Refused', code: 'not-reserved', message: `${m.sandbox} is not reserved` };
  }
  const verified = verifyCredential(w.key, m.credential, { sandbox: m.sandbox,
    scope: INVOKE_SCOPE, nowMs: Date.now(), revoked: w.revoked });
  if (!verified.ok || verified.credential.request !== m.requestId) {
    return { type: 'Refused', code: 'bad-credential', message: verified.ok
      ? 'credential of another request' : verified.error.code };
  }
  const t0 = performance.now();
  const handle = await live.handle;
  const readyWaitMs = performance.now() - t0;
  if (slot.phase === 'Provisioning') step(w, wm.ready(w.core, m.sandbox));
  if (!step(w, wm.start(w.core, m.sandbox, m.requestId))) {
    return { type: 'Refused', code: 'bad-transition', message: `cannot start in ${m.sandbox}` };
  }
  w.stats.runs += 1;
  if (live.warm) w.stats.warmHits += 1;
  const exec = handle === null ? null : await w.backend.exec(handle, { command: 'sh',
    args: ['-c', m.payload], timeoutMs: m.timeoutMs,
    env: { REQUEST_ID: m.requestId, PLUMBLINE_CREDENTIAL: JSON.stringify(m.credential) } });
  revokeCredential(w, m.credential.mac, m.credential.expiresAtMs); // whatever the outcome
  const outcome: Outcome = exec === null || !exec.ok ? 'error'
    : exec.value.timedOut ? 'timeout' : exec.value.exitCode === 0 ? 'success' : 'error';
  step(w, wm.release(w.core, m.sandbox, m.requestId, outcome));
  if (!w.args.singleUse) armKeepAlive(w, m.sandbox);
  const value = exec?.ok === true ? exec.value : null;
  return { type: 'RunReply', requestId: m.requestId, outcome, exitCode: value?.exitCode ?? null,
    stdout: value?.stdout ?? '', stderr: value?.stderr ?? (exec?.ok === false
      ? exec.error.message : 'no sandbox'), warm: live.warm, readyWaitMs };
}

function revokeCredential(w: Worker, mac: string, expiresAtMs: number): void {
  const nowMs = Date.now();
  for (const [old, untilMs] of w.revokedUntilMs) {
    if (untilMs <= nowMs) w.revokedUntilMs.delete(old); // expired: fails verification anyway
  }
  w.revokedUntilMs.set(mac, expiresAtMs);
  w.revoked = revoke(new Set(w.revokedUntilMs.keys()), { mac });
}

function verify(w: Worker, sandbox: string, credential: unknown): VerifyReply {
  const r = verifyCredential(w.key, credential, { sandbox, scope: INVOKE_SCOPE,
    nowMs: Date.now(), revoked: w.revoked });
  return { type: 'VerifyReply', ok: r.ok, code: r.ok ? null : r.error.code };
}

function stats(w: Worker): WorkerStats {
  const phases: Record<string, number> = {};
  for (const s of w.core.sandboxes) phases[s.phase] = (phases[s.phase] ?? 0) + 1;
  return { type: 'WorkerStats', worker: w.args.name, ...w.stats, badFrames: w.badFrames(),
    phases };
}

async function main(): Promise<void> {
  const args = parseRoleArgs(workerArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const key = keyFromEnv();
  if (key === null) fail(`${KEY_ENV} must hold 32 bytes of hex`, 2);
  const backend = await ProcessBackend.create({ uidBase: args.value.uidBase });
  if (!backend.ok) fail(backend.error.message, 3);
  // The parent went away (our stdin closed) or asked us to stop: remove every sandbox first.
  const stop = (): void => void backend.value.close().finally(() => process.exit(0));
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.once('SIGTERM', stop);
  const w: Worker = { args: args.value, backend: backend.value, live: new Map(),
    idleTimers: new Map(), generation: 0,
    core: wm.initWorker({ id: args.value.name, capacity: args.value.capacity,
      singleUse: args.value.singleUse }),
    stats: { warmHits: 0, provisions: 0, resets: 0, reclaims: 0, runs: 0 }, badFrames: () => 0,
    key, revoked: new Set(), revokedUntilMs: new Map() };
  const server = await startFrameServer({
    port: args.value.port,
    requestSchema: workerRequestSchema,
    handle: (request): WorkerReply | Promise<WorkerReply> => {
      switch (request.type) {
        case 'Acquire': return acquire(w, request);
        case 'Run': return run(w, request);
        case 'Verify': return verify(w, request.sandbox, request.credential);
        case 'Stats': return stats(w);
        default: {
          const unreachable: never = request;
          throw new Error(`unknown request ${JSON.stringify(unreachable)}`);
        }
      }
    },
  });
  if (!server.ok) fail(server.error.message, 4);
  const frames = server.value.stats;
  w.badFrames = () => frames.framesDropped;
  announceReady({ port: server.value.port, root: backend.value.rootDir });
}

await main();
