/**
 * fast-check commands over a `CommandWorld`: invocations (with sticky routing), re-drives,
 * limit adjustments, keep-alive expiries, and faults as commands: worker manager crash and
 * restart, frontend crash and restart, sandbox crash, request timeout, network loss and
 * duplication, reordering by delivery choice. A small model checks every response (admission
 * follows the limiter, ended requests stay ended, a request completes at most once, redrives
 * are bounded, every request ends once faults are healed); the cores' invariants and the
 * canary secrets are checked after every step.
 */
import fc from 'fast-check';
import type { Violation } from '../../src/runtime/sim/index.ts';
import { kindsOf, limiter } from '../../src/sandbox/index.ts';
import type { Steps } from '../../src/sandbox/index.ts';
import { frontendOf, FRONTEND_ID, sandboxIds } from '../../src/sandbox/conformance/index.ts';
import { CommandWorld, simConfig, testCluster, WORKERS, REQUESTS } from './harness.ts';

export interface SandboxModel {
  /** Requests that reached completed or throttled: they never change again. */
  final: Map<string, string>;
  redrives: Map<string, number>;
}

export class Real {
  readonly world: CommandWorld;
  constructor(steps?: Partial<Steps>, seed = 1) {
    this.world = new CommandWorld(simConfig(steps === undefined ? { canary: true }
      : { canary: true, steps }), seed);
  }
  phase(r: string): string {
    return frontendOf(this.world.asWorld()).requests[r]!.phase;
  }
}

type Cmd = fc.AsyncCommand<SandboxModel, Real> | fc.Command<SandboxModel, Real>;

function fail(what: string): never {
  throw new Error(`model check failed: ${what}`);
}

function checkAfter(m: SandboxModel, r: Real, violations: readonly Violation[]): void {
  if (violations.length > 0) {
    fail(`invariant ${violations.map((v) => `${v.name}${v.detail ? ` (${v.detail})` : ''}`)
      .join(', ')}`);
  }
  const front = frontendOf(r.world.asWorld());
  for (const id of REQUESTS) {
    const phase = front.requests[id]!.phase;
    const was = m.final.get(id);
    if (was !== undefined && was !== phase) fail(`${id} was ${was}, now ${phase}`);
    if (phase === 'completed' || phase === 'throttled') m.final.set(id, phase);
    if ((front.completions[id] ?? 0) > 1) fail(`${id} completed twice`);
    const redrives = front.requests[id]!.redrives;
    if (redrives !== (m.redrives.get(id) ?? 0)) fail(`${id} re-driven without a command`);
    if (redrives > testCluster().maxRedrives) fail(`${id} re-driven ${redrives} times`);
  }
}

const cmd = (name: string, act: (m: SandboxModel, r: Real) => Violation[] | void):
  fc.Command<SandboxModel, Real> => ({
  check: () => true,
  run: (m, r) => checkAfter(m, r, act(m, r) ?? []),
  toString: () => name,
});

/** invoke: admitted exactly when the tenant runs fewer requests than its limit. */
function invoke(id: string, k: number, sticky: string | null): fc.Command<SandboxModel, Real> {
  const kind = kindsOf(testCluster())[k]!;
  return cmd(`invoke(${id},${kind.version}/${kind.tenant},${sticky ?? '-'})`, (_m, r) => {
    const w = r.world;
    const before = frontendOf(w.asWorld());
    const up = w.node(FRONTEND_ID).status === 'up';
    const isNew = before.requests[id]!.phase === 'new';
    const t = limiter.tenantOf(before.limiter, kind.tenant);
    const v = w.input(FRONTEND_ID, { type: 'invoke', request: id, kind, sticky });
    if (!up || !isNew || v.length > 0) return v;
    const phase = r.phase(id);
    const admitted = t.admitted.length < t.limit;
    if (admitted !== (phase !== 'throttled')) {
      fail(`${id}: ${t.admitted.length} admitted of limit ${t.limit}, yet ${phase}`);
    }
    return v;
  });
}

/** Heal: restart every crashed node and settle; every accepted request must then have ended. */
const settleAll = cmd('settleAll', (_m, r) => {
  const w = r.world;
  const v: Violation[] = [];
  for (const id of w.run.nodes) v.push(...w.restart(id));
  v.push(...w.settle(2_000));
  if (v.length > 0) return v;
  for (const id of REQUESTS) {
    const phase = r.phase(id);
    if (phase === 'placing' || phase === 'acquired' || phase === 'running') {
      fail(`${id} is still ${phase} after every fault healed (EveryRequestEnds)`);
    }
  }
  return v;
});

export function sandboxCommands(): fc.Arbitrary<fc.Command<SandboxModel, Real>>[] {
  const c = testCluster();
  const req = fc.constantFrom(...REQUESTS);
  const worker = fc.constantFrom(...WORKERS);
  const node = fc.constantFrom(FRONTEND_ID, ...WORKERS);
  const index = fc.nat(30);
  const nKinds = Math.min(3, kindsOf(c).length);
  return [
    ...Array.from({ length: 3 }, () => fc.tuple(req, fc.nat(nKinds - 1),
      fc.option(fc.constantFrom(...sandboxIds(c)), { freq: 3 }))
      .map(([id, k, s]) => invoke(id, k, s))),
    ...Array.from({ length: 8 }, () =>
      index.map((i) => cmd(`deliver(${i})`, (_m, r) => r.world.deliver(i)))),
    ...Array.from({ length: 3 }, () =>
      index.map((i) => cmd(`fire(${i})`, (_m, r) => r.world.fire(i)))),
    ...Array.from({ length: 2 }, () => fc.constant(cmd('settle', (_m, r) => r.world.settle()))),
    index.map((i) => cmd(`networkLoss(${i})`, (_m, r) => r.world.lose(i))),
    index.map((i) => cmd(`duplicate(${i})`, (_m, r) => r.world.duplicate(i))),
    node.map((n) => cmd(`crash(${n})`, (_m, r) => r.world.crash(n))),
    node.map((n) => cmd(`restart(${n})`, (_m, r) => r.world.restart(n))),
    worker.map((w) => cmd(`sandboxCrash(${w})`, (_m, r) =>
      r.world.input(w, { type: 'sandboxCrash' }))),
    req.map((id) => cmd(`requestTimeout(${id})`, (_m, r) =>
      r.world.input(FRONTEND_ID, { type: 'timeout', request: id }))),
    worker.map((w) => cmd(`reclaim(${w})`, (_m, r) => r.world.input(w, { type: 'reclaim' }))),
    req.map((id) => cmd(`redrive(${id})`, (m, r) => {
      const v = r.world.input(FRONTEND_ID, { type: 'redrive', request: id });
      m.redrives.set(id, frontendOf(r.world.asWorld()).requests[id]!.redrives);
      return v;
    })),
    fc.tuple(fc.constantFrom(...c.tenants), fc.boolean()).map(([t, refused]) =>
      cmd(`adjust(${t},${refused})`, (_m, r) =>
        r.world.input(FRONTEND_ID, { type: 'adjust', tenant: t, refused }))),
    fc.constant(settleAll),
  ];
}

export function initialModel(): SandboxModel {
  return { final: new Map(), redrives: new Map() };
}

/** The model-based property, with optional test-side bug steps. */
export function sandboxModelProperty(steps?: Partial<Steps>, maxCommands = 80,
  replayPath?: string) {
  const constraints: fc.CommandsContraints = { maxCommands, size: '+1' };
  if (replayPath !== undefined) constraints.replayPath = replayPath;
  return fc.property(fc.commands(sandboxCommands(), constraints), fc.nat(1_000), (cmds, seed) => {
    fc.modelRun(() => ({ model: initialModel(), real: new Real(steps, seed) }), cmds);
  });
}

export type { Cmd };
