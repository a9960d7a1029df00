/**
 * The frontend process: the cores `frontend`, `limiter` and `failureStore` of src/sandbox over
 * TCP frames to the worker managers. Per invocation: the tenant's limiter admits or throttles;
 * then the frontend core names each ask (the sticky sandbox first, then the seed's placement);
 * a worker manager that does not answer counts as a miss; an acquired sandbox runs the payload;
 * an error, a timeout or a lost worker manager is an attempt failure, retried up to maxRetries,
 * then stored in the failure store. Every request id ends here exactly once: a repeated Invoke
 * gets the first one's result (the `ends` tally in Stats shows it).
 * Run: node --import tsx frontend-main.ts '<json args>'
 */
import {
  announceReady, exitWithParent, FrameClient, parseRoleArgs, startFrameServer,
} from '../../runtime/node/index.ts';
import {
  failureStore as fsCore, frontend as fe, limiter as lim, mintCredential,
  type FailureStoreState, type Invoke, type LimiterState, type RequestState,
} from '../index.ts';
import {
  frontendArgsSchema, frontendRequestSchema, INVOKE_SCOPE, KEY_ENV, keyFromEnv,
  workerReplySchema, type FrontendArgs,
  type FrontendReply, type InvokeResult, type WorkerReply, type WorkerRequest,
} from './wire.ts';

type Frontend = {
  args: FrontendArgs;
  clients: Map<string, FrameClient<WorkerRequest, WorkerReply>>;
  limiter: LimiterState;
  store: FailureStoreState;
  /** Request id -> its one result (in flight: the promise of it). */
  results: Map<string, Promise<InvokeResult>>;
  ends: Record<string, number>;
  key: Uint8Array;
};

type Attempt = { state: RequestState; worker: string | null; sandbox: string | null;
  warm: boolean; asks: number; result: string | null; acquireMs: number };

function fail(message: string, code: number): never {
  process.stderr.write(`frontend: ${message}\n`);
  process.exit(code);
}

const randomIndex = (n: number): number => Math.floor(Math.random() * n);

async function ask(f: Frontend, worker: string, request: WorkerRequest, timeoutMs: number):
  Promise<WorkerReply | null> {
  const client = f.clients.get(worker);
  if (client === undefined) return null;
  const reply = await client.request(request, timeoutMs);
  return reply.ok ? reply.value : null;
}

/** Placement until a sandbox is reserved (state 'acquired') or the core throttles. */
async function place(f: Frontend, state: RequestState, m: Invoke):
  Promise<{ state: RequestState; worker: string | null }> {
  const cfg = { workers: f.args.workers.map((w) => w.name), maxProbes: f.args.maxProbes,
    maxRetries: f.args.maxRetries };
  let r = state;
  for (let guard = 0; guard <= cfg.workers.length + 1; guard++) {
    const next = fe.nextAsk(r, cfg, randomIndex);
    if (next.type === 'throttle') return { state: fe.throttled(r), worker: null };
    const mode = next.type === 'acquireNamed' ? 'named' : next.mode;
    const reply = await ask(f, next.worker, { type: 'Acquire', requestId: m.requestId,
      kind: m.kind, mode, sandbox: next.type === 'acquireNamed' ? next.sandbox : null },
    f.args.askTimeoutMs);
    const answer = reply?.type === 'AcquireReply' ? reply : null;
    if (next.type === 'acquireNamed') {
      r = answer?.outcome === 'acquired' ? fe.onNamedAcquired(r, answer.sandbox)
        : fe.stickyMissed(r);
    } else {
      const result = answer === null || answer.outcome === 'miss' ? { outcome: 'miss' as const }
        : { outcome: answer.outcome, sandbox: answer.sandbox };
      r = fe.onAcquireAnswer(r, next.worker, next.mode, result);
    }
    if (r.phase === 'acquired') return { state: r, worker: next.worker };
  }
  throw new Error('assertion: placement asked more than every worker manager');
}

async function attempt(f: Frontend, state: RequestState, m: Invoke, t0: number):
  Promise<Attempt> {
  const placed = await place(f, state, m);
  const base = { worker: placed.worker, sandbox: placed.state.sandbox, warm: false,
    asks: placed.state.asked.length,
    result: null, acquireMs: performance.now() - t0 };
  if (placed.state.phase !== 'acquired' || placed.worker === null) {
    return { ...base, state: placed.state };
  }
  const running = fe.started(placed.state);
  const sandbox = placed.state.sandbox!;
  // Scoped to this request in this sandbox; the worker manager revokes it when the run ends.
  const credential = mintCredential(f.key, { request: m.requestId, sandbox, scope: INVOKE_SCOPE,
    expiresAtMs: Date.now() + f.args.runTimeoutMs + 5000 });
  const reply = await ask(f, placed.worker, { type: 'Run', requestId: m.requestId, sandbox,
    kind: m.kind, payload: m.payload, timeoutMs: f.args.runTimeoutMs, credential },
  f.args.runTimeoutMs + 5000);
  const run = reply?.type === 'RunReply' ? reply : null;
  const acquireMs = base.acquireMs + (run?.readyWaitMs ?? 0);
  if (run !== null && run.outcome === 'success') {
    return { ...base, acquireMs, state: fe.completed(running), warm: run.warm,
      result: run.stdout };
  }
  const error = run === null ? `worker manager ${placed.worker} lost the run`
    : `${run.outcome}: exit ${run.exitCode} ${run.stderr}`.slice(0, 4000);
  const failed = fe.attemptFailed(running, error, f.args.maxRetries);
  return { ...base, acquireMs, state: failed.state, warm: run?.warm ?? false };
}

async function invoke(f: Frontend, m: Invoke): Promise<InvokeResult> {
  const t0 = performance.now();
  const tenant = m.kind.tenant;
  const admitted = lim.admit(f.limiter, tenant, m.requestId);
  f.limiter = lim.adjust(admitted.state, tenant, !admitted.admitted);
  let r = fe.accept(fe.newRequest(m.requestId), m.kind, m.sandbox, admitted.admitted);
  let last: Attempt = { state: r, worker: null, sandbox: null, warm: false, asks: 0,
    result: null, acquireMs: 0 };
  while (r.phase === 'placing') {
    last = await attempt(f, r, m, t0);
    r = last.state;
  }
  if (admitted.admitted) {
    const released = lim.release(f.limiter, tenant, m.requestId);
    if (!released.ok) throw new Error(`assertion: ${released.error.message}`);
    f.limiter = released.state;
  }
  if (r.phase === 'failed') {
    const stored = fsCore.storeFailure(f.store, { request: m.requestId, kind: m.kind,
      error: r.lastError ?? 'failed', attempts: r.tries + 1 });
    if (stored.ok) f.store = stored.state;
  }
  const outcome = r.phase === 'completed' || r.phase === 'throttled' || r.phase === 'failed'
    ? r.phase : null;
  if (outcome === null) throw new Error(`assertion: request ${m.requestId} ended in ${r.phase}`);
  f.ends[m.requestId] = (f.ends[m.requestId] ?? 0) + 1;
  return { type: 'InvokeResult', requestId: m.requestId, outcome, result: last.result,
    error: outcome === 'completed' ? null : (r.lastError ?? outcome), frontend: f.args.name,
    worker: last.worker, sandbox: last.sandbox,
    warm: last.warm, asks: last.asks, tries: r.tries + 1, acquireMs: last.acquireMs };
}

function handle(f: Frontend, request: { type: 'Stats' } | Invoke): FrontendReply |
  Promise<FrontendReply> {
  if (request.type === 'Stats') {
    return { type: 'FrontendStats', frontend: f.args.name, ends: { ...f.ends },
      failureStore: f.store.entries.map((e) => ({ request: e.request, error: e.error,
        attempts: e.attempts })) };
  }
  const known = f.results.get(request.requestId);
  if (known !== undefined) return known; // the same request ends once: same answer again
  const result = invoke(f, request);
  f.results.set(request.requestId, result);
  return result;
}

async function main(): Promise<void> {
  const args = parseRoleArgs(frontendArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const key = keyFromEnv();
  if (key === null) fail(`${KEY_ENV} must hold 32 bytes of hex`, 2);
  exitWithParent();
  const clients = new Map(args.value.workers.map((w) => [w.name,
    new FrameClient<WorkerRequest, WorkerReply>({ port: w.port, responseSchema: workerReplySchema,
      requestTimeoutMs: args.value.askTimeoutMs, maxReconnectAttempts: 3,
      reconnectMaxDelayMs: 200 })]));
  const f: Frontend = { args: args.value, clients, results: new Map(), ends: {}, key,
    limiter: lim.initLimiter({ floor: args.value.limitFloor, max: args.value.limitMax },
      args.value.tenants),
    store: fsCore.initFailureStore(10_000) };
  const server = await startFrameServer({ port: args.value.port,
    requestSchema: frontendRequestSchema, handle: (request) => handle(f, request) });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port });
}

await main();
