/**
 * Runs the store on the simulator and records the clients' history (times are simulator step
 * numbers, an exact real-time order) for the linearizability checker.
 */
import fc from 'fast-check';
import {
  kvClientSteps,
  paxosGroupStore,
  singleLogStore,
  type KvClientEffect,
  type KvClientState,
  type KvClientSteps,
  type KvCommand,
  type KvResult,
  type PaxosGroupConfig,
  type SingleLogConfig,
} from '../../src/consensus/kv/index.ts';
import { HistoryRecorder, type History } from '../../src/runtime/linearizability/index.ts';
import {
  runSim,
  type InputEntry,
  type NodeBehavior,
  type SimPlan,
  type SimResult,
} from '../../src/runtime/sim/index.ts';

export const KEYS = ['a', 'b'] as const;

export const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.constantFrom(...KEYS).map((key): KvCommand => ({ type: 'get', key })),
  fc.record({ key: fc.constantFrom(...KEYS), value: fc.constantFrom('x', 'y', 'z'),
    expectedVersion: fc.integer({ min: 0, max: 4 }) })
    .map((r): KvCommand => ({ type: 'put', ...r })),
  fc.record({ key: fc.constantFrom(...KEYS), expectedVersion: fc.integer({ min: 0, max: 4 }) })
    .map((r): KvCommand => ({ type: 'delete', ...r })),
);

export function inputsArb(clients: number, horizonMs: number, max: number):
  fc.Arbitrary<InputEntry<KvCommand>[]> {
  return fc.array(fc.record({
    atMs: fc.integer({ min: 0, max: horizonMs }),
    node: fc.integer({ min: 1, max: clients }).map((i) => `c${i}`),
    input: commandArb,
  }), { minLength: max / 2, maxLength: max, size: 'max' })
    .map((xs) => [...xs].sort((a, b) => a.atMs - b.atMs));
}

export type KvRun = {
  sim: SimResult<unknown, KvCommand>;
  history: History<KvCommand, KvResult>;
  completed: number;
  written: number;
};

type ClientView = { role: string; core?: KvClientState;
  lastResolved?: Extract<KvClientEffect, { type: 'resolved' }> | undefined };
type AnyStore = { nodes: string[]; clients: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  behavior: NodeBehavior<any, any, any, KvCommand> };

export function runKvSim(config: SingleLogConfig, seed: number, plan: SimPlan<KvCommand>): KvRun {
  const hooks = { client: optimisticClient(), ...config.hooks };
  return runStore(singleLogStore({ ...config, hooks }), seed, plan, 60_000);
}

export function runGroupSim(config: PaxosGroupConfig, seed: number, plan: SimPlan<KvCommand>,
  maxTimeMs: number): KvRun {
  const hooks = { client: optimisticClient(), ...config.hooks };
  return runStore(paxosGroupStore({ ...config, hooks }), seed, plan, maxTimeMs);
}

function runStore(store: AnyStore, seed: number, plan: SimPlan<KvCommand>, maxTimeMs: number):
  KvRun {
  const recorder = new HistoryRecorder<KvCommand, KvResult>();
  const openSeq = new Map<string, number>();
  const resolvedSeq = new Map<string, number>();
  let completed = 0;
  let written = 0;
  const sim = runSim({
    nodes: store.nodes, behavior: store.behavior, maxSteps: 400_000, maxTimeMs,
    network: { delay: { kind: 'uniform', minMs: 1, maxMs: 12 }, lossRate: 0.05, dupRate: 0.05,
      reorder: { rate: 0.1, extraMsMax: 30 } },
    onStep: (event, world) => {
      for (const c of store.clients) {
        const v = world.node(c).volatile as ClientView | undefined;
        if (v === undefined || v.role !== 'client' || v.core === undefined) continue;
        const done = v.lastResolved;
        if (done !== undefined && done.seq !== resolvedSeq.get(c)) {
          resolvedSeq.set(c, done.seq);
          if (openSeq.get(c) !== done.seq) throw new Error('assertion failed: resolved unknown');
          openSeq.delete(c);
          if (done.result === undefined) recorder.abandon(c);
          else {
            recorder.complete(c, done.result, event.step);
            completed += 1;
            if (done.result.type === 'written' || done.result.type === 'deleted') written += 1;
          }
        }
        const p = v.core.pending;
        if (p !== undefined && openSeq.get(c) !== p.seq) {
          openSeq.set(c, p.seq);
          recorder.call(c, p.command, event.step);
        }
      }
    },
  }, seed, plan);
  return { sim: sim as SimResult<unknown, KvCommand>, history: recorder.history(), completed,
    written };
}

/**
 * A client whose writes are conditional on the version it last saw for the key (the usual
 * optimistic pattern), instead of the workload's random expected version. Built per run: it
 * keeps what each client saw in a closure.
 */
export function optimisticClient(): KvClientSteps {
  const seen = new Map<string, number>();
  return {
    submit: (config, state, command) => kvClientSteps.submit(config, state,
      command.type === 'get' ? command
        : { ...command, expectedVersion: seen.get(`${state.clientId}/${command.key}`) ?? 0 }),
    onReply: (state, reply) => {
      const step = kvClientSteps.onReply(state, reply);
      for (const e of step.effects) {
        if (e.type !== 'resolved' || e.result === undefined) continue;
        const r = e.result;
        const version = r.type === 'value' || r.type === 'written' ? r.version
          : r.type === 'conflict' ? r.currentVersion : 0;
        seen.set(`${state.clientId}/${e.command.key}`, version);
      }
      return step;
    },
    onRetry: kvClientSteps.onRetry,
  };
}
