/**
 * Two frontends place invocations at once against shared worker managers; fc.scheduler
 * chooses the interleaving of their asynchronous steps (each ask to a worker manager, each
 * provisioning, start, release and reset is a scheduled step). The frontends run the real
 * cores (frontend.accept / nextAsk / onAcquireAnswer, worker manager acquire, ready, start,
 * release, reset). After every step no sandbox may be held by two requests, and an execution
 * may read no secret of an earlier one (canaries).
 *
 * Bug 1 of the sheet (acquire is not atomic) is injected from the test side by replacing the
 * asynchronous acquire: the correct one asks the worker manager to check and take in one step;
 * the buggy one checks in one step and takes what it saw in a later one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frontend as fe, workerManager as wm } from '../../src/sandbox/index.ts';
import type {
  AcquireMode, AcquireResult, Kind, RequestState, WorkerState,
} from '../../src/sandbox/index.ts';

const KIND: Kind = { fn: 'f', version: 1, tenant: 'ta' };
const WORKERS = ['w1', 'w2'];
const CFG = { workers: WORKERS, maxProbes: 1, maxRetries: 0 };

interface Shared {
  workers: Record<string, WorkerState>;
  held: Map<string, RequestState>;
  /** Canary secrets per sandbox: the requests whose execution wrote one. */
  memory: Map<string, string[]>;
}

type AcquireAsync = (s: fc.Scheduler, shared: Shared, w: string, r: string, mode: AcquireMode)
  => Promise<AcquireResult>;

const step = (s: fc.Scheduler, label: string): Promise<void> =>
  s.schedule(Promise.resolve(), label).then(() => undefined);

/** The worker manager's atomic acquire: check and take in one scheduled step. */
const atomicAcquire: AcquireAsync = async (s, shared, w, r, mode) => {
  await step(s, `acquire ${w} for ${r}`);
  const out = wm.acquire(shared.workers[w]!, r, KIND, mode, () => 0);
  shared.workers[w] = out.state;
  return out.result;
};

/** Bug 1: check (one step), then take what was seen idle without re-checking (a later step). */
const nonAtomicAcquire: AcquireAsync = async (s, shared, w, r, mode) => {
  await step(s, `check ${w} for ${r}`);
  const seen = wm.idleOf(shared.workers[w]!, KIND);
  await step(s, `take on ${w} for ${r}`);
  const now = shared.workers[w]!;
  if (seen.length === 0) {
    const out = wm.acquire(now, r, KIND, mode, () => 0);
    shared.workers[w] = out.state;
    return out.result;
  }
  const id = seen[0]!.id;
  const sandboxes = now.sandboxes.map((x) => (x.id === id
    ? { ...x, phase: 'Busy' as const, request: r } : x));
  shared.workers[w] = { ...now, sandboxes };
  return { outcome: 'acquired', sandbox: id };
};

function check(shared: Shared): void {
  const bySandbox = new Map<string, string>();
  for (const [r, x] of shared.held) {
    if (x.sandbox === null) continue;
    const other = bySandbox.get(x.sandbox);
    if (other !== undefined) {
      throw new Error(`NoDoubleBooking: ${other} and ${r} hold ${x.sandbox}`);
    }
    bySandbox.set(x.sandbox, r);
  }
}

function transition(shared: Shared, w: string, o: wm.WorkerOutcome<null>): void {
  if (!o.ok) throw new Error(`worker ${w}: ${o.error.message}`);
  shared.workers[w] = o.step.state;
}

/** One frontend's invocation: placement ask by ask, then provision wait, run, release, reset. */
async function invocation(s: fc.Scheduler, shared: Shared, r: string, acquire: AcquireAsync) {
  let x = fe.accept(fe.newRequest(r), KIND, null, true);
  while (x.phase === 'placing') {
    const ask = fe.nextAsk(x, CFG, () => 0);
    if (ask.type === 'throttle') return;
    if (ask.type !== 'acquire') throw new Error('no sticky asks here');
    const answer = await acquire(s, shared, ask.worker, r, ask.mode);
    x = fe.onAcquireAnswer(x, ask.worker, ask.mode, answer);
    if (x.phase === 'acquired') shared.held.set(r, x);
    check(shared);
    if (answer.outcome === 'provisioning') {
      await step(s, `provisioned ${answer.sandbox}`);
      transition(shared, ask.worker, wm.ready(shared.workers[ask.worker]!, answer.sandbox));
    }
  }
  const sb = x.sandbox!;
  const w = fe.workerOfSandbox(sb);
  await step(s, `start ${r} in ${sb}`);
  transition(shared, w, wm.start(shared.workers[w]!, sb, r));
  const secrets = shared.memory.get(sb) ?? [];
  if (secrets.some((o) => o !== r)) throw new Error(`canary: ${r} read ${secrets} in ${sb}`);
  shared.memory.set(sb, [...secrets, r]);
  x = fe.started(x);
  shared.held.set(r, x);
  await step(s, `end ${r}`);
  transition(shared, w, wm.release(shared.workers[w]!, sb, r, 'success'));
  shared.held.delete(r);
  x = fe.completed(x);
  await step(s, `reset ${sb}`);
  transition(shared, w, wm.reset(shared.workers[w]!, sb));
  shared.memory.set(sb, []);
}

/** w1 holds one idle single-use sandbox of KIND (so both frontends' probes can find it). */
function sharedState(): Shared {
  const init = (id: string) => wm.initWorker({ id, capacity: 1, singleUse: true });
  let w1 = wm.acquire(init('w1'), 'r0', KIND, 'provision', () => 0).state;
  const must = (o: wm.WorkerOutcome<null>): WorkerState => {
    if (!o.ok) throw new Error(o.error.message);
    return o.step.state;
  };
  w1 = must(wm.ready(w1, 'w1#1'));
  w1 = must(wm.start(w1, 'w1#1', 'r0'));
  w1 = must(wm.release(w1, 'w1#1', 'r0', 'success'));
  w1 = must(wm.reset(w1, 'w1#1'));
  return { workers: { w1, w2: init('w2') }, held: new Map(), memory: new Map() };
}

function property(acquire: AcquireAsync) {
  return fc.asyncProperty(fc.scheduler(), async (s) => {
    const shared = sharedState();
    const done = Promise.all([invocation(s, shared, 'r1', acquire),
      invocation(s, shared, 'r2', acquire)]);
    await s.waitFor(done);
    await done;
    expect(shared.held.size).toBe(0);
  });
}

describe('sandbox-reuse: two frontends interleaved by fc.scheduler', () => {
  it('with the atomic acquire no interleaving double-books a sandbox', async () => {
    await fc.assert(property(atomicAcquire), { numRuns: 200 });
  });

  it('bug 1 (non-atomic acquire) is found, and its seed and path replay', async () => {
    const details = await fc.check(property(nonAtomicAcquire), { numRuns: 200, seed: 42 });
    expect(details.failed).toBe(true);
    const error = String(details.errorInstance);
    console.log(`bug 1 (scheduler): fc seed=${details.seed} path=${details.counterexamplePath} ` +
      `${error.slice(0, 160)}`);
    expect(error).toMatch(/NoDoubleBooking|canary/);
    const again = await fc.check(property(nonAtomicAcquire), { seed: details.seed,
      path: details.counterexamplePath ?? undefined, endOnFailure: true });
    expect(again.failed).toBe(true);
    expect(String(again.errorInstance)).toBe(error);
  });
});
