/**
 * fast-check commands over a `CommandWorld`: client writes, reads and takeovers, migrations,
 * and faults (sled crash/restart, issuer restart, pause/resume, isolate/rejoin, message loss,
 * duplication, reordering by delivery choice). A small model (the issuer's current epoch, the
 * holder of each acknowledged epoch, the latest acknowledged value) checks every response;
 * the cores' invariants are checked after every step.
 */
import fc from 'fast-check';
import type { Violation } from '../../src/runtime/sim/index.ts';
import { clusterIssuerEpoch, newer } from '../../src/fencing/index.ts';
import { clusterViewOf, ISSUER_ID } from '../../src/fencing/conformance/index.ts';
import type { CoreHooks } from '../../src/fencing/conformance/index.ts';
import { CommandWorld, HEADS, SLEDS, VALUES, testCluster } from './harness.ts';

export interface FencingModel {
  epoch: number;
  holderOf: Map<number, string>;
  latest: { epoch: number; seq: number; val: string | null } | null;
  repliesSeen: number;
}

export class Real {
  readonly world: CommandWorld;
  constructor(hooks?: CoreHooks) {
    this.world = new CommandWorld(hooks === undefined ? { cluster: testCluster() }
      : { cluster: testCluster(), hooks });
  }
  issuerEpoch(): number {
    const w = this.world;
    return clusterIssuerEpoch(clusterViewOf(w.run.config.cluster, w.asWorld(), w.run.journal));
  }
}

type Cmd = fc.Command<FencingModel, Real>;

function fail(what: string): never {
  throw new Error(`model check failed: ${what}`);
}

/** The invariants' verdict, then every new client reply against the model. */
function checkAfter(m: FencingModel, r: Real, violations: Violation[]): void {
  if (violations.length > 0) {
    const names = violations.map((v) => `${v.name}${v.detail ? ` (${v.detail})` : ''}`);
    fail(`invariant ${names.join(', ')}`);
  }
  const replies = r.world.run.journal.replies;
  for (; m.repliesSeen < replies.length; m.repliesSeen++) {
    const { head: h, reply, current } = replies[m.repliesSeen]!;
    if (reply.type === 'writeAcked') {
      if (reply.epoch > m.epoch) fail(`${h} acked under epoch ${reply.epoch} > ${m.epoch}`);
      const holder = m.holderOf.get(reply.epoch);
      if (holder !== undefined && holder !== h) {
        fail(`epoch ${reply.epoch} acked by ${holder} and ${h}`);
      }
      m.holderOf.set(reply.epoch, h);
      if (m.latest === null || newer(reply, m.latest)) m.latest = { ...reply };
    }
    if (reply.type === 'readResult' && current === true) {
      const want = m.latest?.val ?? null;
      if (reply.val !== want) fail(`${h} read ${reply.val}, latest acknowledged ${want}`);
    }
  }
}

const cmd = (name: string, act: (m: FencingModel, r: Real) => Violation[] | void): Cmd => ({
  check: () => true,
  run: (m, r) => {
    const before = r.issuerEpoch();
    const v = act(m, r) ?? [];
    const after = r.issuerEpoch();
    if (after !== before) {
      if (after !== m.epoch + 1) fail(`issuer granted ${after} after ${m.epoch}`);
      m.epoch = after;
    }
    checkAfter(m, r, v);
  },
  toString: () => name,
});

const head = fc.constantFrom(...HEADS);
const sled = fc.constantFrom(...SLEDS);
const node = fc.constantFrom(ISSUER_ID, ...HEADS, ...SLEDS);
const index = fc.nat(40);

/** The command arbitraries; weights favour deliveries so that protocols make progress. */
export function fencingCommands(): fc.Arbitrary<Cmd>[] {
  return [
    head.map((h) => cmd(`takeover(${h})`,
      (_m, r) => r.world.input(ISSUER_ID, { type: 'takeover', holder: h }))),
    fc.tuple(head, fc.constantFrom(...VALUES)).map(([h, val]) =>
      cmd(`write(${h},${val})`, (_m, r) => r.world.input(h, { type: 'write', val }))),
    head.map((h) => cmd(`read(${h})`, (_m, r) => r.world.input(h, { type: 'read' }))),
    head.map((h) => cmd(`takeoverSettled(${h})`, (_m, r) => [
      ...r.world.input(ISSUER_ID, { type: 'takeover', holder: h }), ...r.world.settle()])),
    ...Array.from({ length: 2 }, () => fc.tuple(head, fc.constantFrom(...VALUES)).map(([h, val]) =>
      cmd(`writeSettled(${h},${val})`, (_m, r) => [
        ...r.world.input(h, { type: 'write', val }), ...r.world.settle()]))),
    fc.tuple(head, head).map(([src, dst]) =>
      cmd(`migrate(${src}->${dst})`, (_m, r) => r.world.input(src, { type: 'migrate', dst }))),
    fc.constant(cmd('migrateGrant', (_m, r) => r.world.input(ISSUER_ID, { type: 'migrateGrant' }))),
    ...Array.from({ length: 8 }, () =>
      index.map((i) => cmd(`deliver(${i})`, (_m, r) => r.world.deliver(i)))),
    ...Array.from({ length: 3 }, () => fc.constant(cmd('settle', (_m, r) => r.world.settle()))),
    ...Array.from({ length: 2 }, () => fc.tuple(head, fc.constantFrom(...VALUES)).map(([h, val]) =>
      cmd(`write(${h},${val})`, (_m, r) => r.world.input(h, { type: 'write', val })))),
    head.map((h) => cmd(`read(${h})`, (_m, r) => r.world.input(h, { type: 'read' }))),
    index.map((i) => cmd(`lose(${i})`, (_m, r) => r.world.lose(i))),
    index.map((i) => cmd(`duplicate(${i})`, (_m, r) => r.world.duplicate(i))),
    sled.map((s) => cmd(`crash(${s})`, (_m, r) => r.world.crash(s))),
    sled.map((s) => cmd(`restart(${s})`, (_m, r) => r.world.restart(s))),
    fc.constant(cmd('issuerRestart', (_m, r) => [
      ...r.world.crash(ISSUER_ID), ...r.world.restart(ISSUER_ID)])),
    node.map((n) => cmd(`pause(${n})`, (_m, r) => r.world.pause(n))),
    node.map((n) => cmd(`resume(${n})`, (_m, r) => r.world.resume(n))),
    node.map((n) => cmd(`isolate(${n})`, (_m, r) => r.world.isolate(n))),
    node.map((n) => cmd(`rejoin(${n})`, (_m, r) => r.world.rejoin(n))),
  ];
}

export function initialModel(): FencingModel {
  return { epoch: 0, holderOf: new Map(), latest: null, repliesSeen: 0 };
}

/** The model-based property, with optional test-side bug hooks. */
export function fencingModelProperty(hooks?: CoreHooks, maxCommands = 80, replayPath?: string) {
  const constraints: fc.CommandsContraints = { maxCommands, size: '+1' };
  if (replayPath !== undefined) constraints.replayPath = replayPath;
  return fc.property(fc.commands(fencingCommands(), constraints), (cmds) => {
    fc.modelRun(() => ({ model: initialModel(), real: new Real(hooks) }), cmds);
  });
}
