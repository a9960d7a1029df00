/**
 * What binds one Paxos group of src/consensus to spec/consensus-txn/GroupPaxos.tla: the spec's
 * variables and actions, the trace validation constants, seeded simulator runs (3 members, 2
 * proposers, random inputs and faults drawn from the seed alone) and cluster.ts as the replay
 * target of GroupPaxosReplay.cfg (one target per initial active majority).
 *
 * TLC labels: `\E a \in Members, m \in msgs : Phase1b(a, m) \/ Phase2b(a, m)` quantifies over
 * a variable, so this TLC labels those edges `Next`; such an edge matches Phase1b or Phase2b.
 */
import { fileURLToPath } from 'node:url';
import { cfgReader } from '../../conform/index.ts';
import type { ConformBinding, GeneratedTrace, ReplayTarget, SpecBinding }
  from '../../conform/index.ts';
import { Prng, runSim } from '../../runtime/sim/index.ts';
import type { FaultEntry, InputEntry, NetworkConfigInput, SimPlan }
  from '../../runtime/sim/index.ts';
import { applyAction, enabledActions, initCluster, msgKey, specState } from '../index.ts';
import type { Cluster, ClusterAction, ClusterConfig, ClusterSteps } from '../index.ts';
import { NOOP_VALUE, paxosRun, paxosTraceOf } from './paxos-sim.ts';
import type { PaxosInput } from './paxos-sim.ts';

export const PAXOS_SPEC_PATH =
  fileURLToPath(new URL('../../../spec/consensus-txn/GroupPaxos.tla', import.meta.url));
export const PAXOS_REPLAY_CONFIG_PATH =
  fileURLToPath(new URL('../../../spec/consensus-txn/GroupPaxosReplay.cfg', import.meta.url));

export const PAXOS_VARIABLES = ['active', 'proposed', 'maxBal', 'accepted', 'msgs', 'log'] as const;

export const PAXOS_ACTIONS = {
  Propose: '\\E v \\in Values : Propose(v)',
  Phase1a: '\\E b \\in Ballots : Phase1a(b)',
  Phase1b: '\\E a \\in Members, m \\in msgs : Phase1b(a, m)',
  Phase2a: '\\E b \\in Ballots, s \\in Slots, v \\in Values : Phase2a(b, s, v)',
  Phase2b: '\\E a \\in Members, m \\in msgs : Phase2b(a, m)',
  Apply: '\\E a \\in Members : Apply(a)',
  Join: '\\E a \\in Members : Join(a)',
} as const satisfies Record<string, string>;
export const PAXOS_ACTION_NAMES = Object.keys(PAXOS_ACTIONS);

/** The simulated group: its members, proposers and the bounds the trace constants admit. */
export const PAXOS_TRACE = {
  members: ['m1', 'm2', 'm3'], initialActive: ['m1', 'm2'], proposers: ['p0', 'p1'],
  clientValues: ['v1', 'v2'], numSlots: 2, maxBallot: 5,
} as const;

export const PAXOS_TRACE_CONSTANTS = `CONSTANTS
  Members = {${PAXOS_TRACE.members.join(', ')}}
  Values = {${[...PAXOS_TRACE.clientValues, NOOP_VALUE].join(', ')}}
  None = None
  NumSlots = ${PAXOS_TRACE.numSlots}
  MaxBallot = ${PAXOS_TRACE.maxBallot}
  MaxMsgs = 100000`;

export const PAXOS_SPEC: SpecBinding = {
  protocol: 'consensus-txn',
  specLabel: 'spec/consensus-txn/GroupPaxos.tla',
  specPath: PAXOS_SPEC_PATH,
  replayConfigPath: PAXOS_REPLAY_CONFIG_PATH,
  replayConfigLabel: 'spec/consensus-txn/GroupPaxosReplay.cfg',
  variables: PAXOS_VARIABLES,
  actions: PAXOS_ACTIONS,
  traceConstants: PAXOS_TRACE_CONSTANTS,
};

export function paxosTraceCluster(): ClusterConfig {
  const t = PAXOS_TRACE;
  return { members: t.members, initialActive: t.initialActive, proposers: t.proposers,
    values: [...t.clientValues, NOOP_VALUE], numSlots: t.numSlots, maxBallot: t.maxBallot };
}

export const PAXOS_NETWORK: NetworkConfigInput = {
  delay: { kind: 'uniform', minMs: 1, maxMs: 15 },
  reorder: { rate: 0.2, extraMsMax: 30 },
};
export const PAXOS_HORIZON_MS = 300;

function pick<X>(rng: Prng, xs: readonly X[]): X {
  return xs[rng.int(0, xs.length - 1)]!;
}

function randomInputs(rng: Prng): InputEntry<PaxosInput>[] {
  const t = PAXOS_TRACE;
  const inputs: InputEntry<PaxosInput>[] = [];
  for (let i = rng.int(1, 4); i > 0; i--) {
    inputs.push({ atMs: rng.int(0, PAXOS_HORIZON_MS), node: pick(rng, t.proposers),
      input: { type: 'propose', v: pick(rng, t.clientValues) } });
  }
  if (rng.chance(0.6)) {
    inputs.push({ atMs: rng.int(0, PAXOS_HORIZON_MS), node: 'm3', input: { type: 'join' } });
  }
  return inputs.sort((a, b) => a.atMs - b.atMs);
}

function randomFaults(rng: Prng): FaultEntry[] {
  const t = PAXOS_TRACE;
  const faults: FaultEntry[] = [];
  const episode = (start: FaultEntry['fault'], end: FaultEntry['fault'] | null) => {
    const at = rng.int(0, PAXOS_HORIZON_MS);
    faults.push({ atMs: at, fault: start });
    if (end !== null) faults.push({ atMs: at + rng.int(5, 100), fault: end });
  };
  const nodes = [...t.members, ...t.proposers];
  for (let i = rng.int(0, 2); i > 0; i--) {
    const n = pick(rng, nodes);
    episode({ type: 'crash', node: n }, rng.chance(0.2) ? null : { type: 'restart', node: n });
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const n = pick(rng, nodes);
    episode({ type: 'pause', node: n }, { type: 'resume', node: n });
  }
  if (rng.chance(0.4)) {
    const n = pick(rng, nodes);
    episode({ type: 'isolate', node: n }, { type: 'rejoin', node: n });
  }
  if (rng.chance(0.5)) {
    const lossRate = rng.int(0, 30) / 100;
    const dupRate = rng.int(0, 40) / 100;
    episode({ type: 'network', lossRate, dupRate }, { type: 'network', lossRate: 0, dupRate: 0 });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The random plan of run `seed`: inputs and faults drawn from the seed alone. */
export function paxosRandomPlan(seed: number): SimPlan<PaxosInput> {
  const rng = new Prng(seed >>> 0).fork('paxos-plan');
  return { inputs: randomInputs(rng), faults: randomFaults(rng) };
}

export const PAXOS_SIM_LIMITS = { maxSteps: 4_000, maxTimeMs: 1_500 } as const;

/** Runs the group in the simulator for `seed` with its random plan and records the trace. */
export function generatePaxosTrace(seed: number, steps?: ClusterSteps): GeneratedTrace {
  const run = paxosRun({ cluster: paxosTraceCluster(), record: true,
    ...(steps === undefined ? {} : { steps }) },
  { network: PAXOS_NETWORK, ...PAXOS_SIM_LIMITS, hashLog: false });
  const r = runSim(run.options, seed >>> 0, paxosRandomPlan(seed));
  const out: GeneratedTrace = { seed, trace: paxosTraceOf(run) };
  if (!r.ok) out.failure = r.failure.message;
  return out;
}

const MESSAGE_ACTIONS = new Set(['Phase1b', 'Phase2b']);
const REACCEPT = 'reaccept ';

/**
 * Phase2b of a message the acceptor already accepted: the spec allows it (a self-loop: the
 * same vote, the same 2b); the acceptor core does it too (onAccept answers again with the same
 * durable state); cluster.ts leaves it out as a stutter, so the target adds it back.
 */
function reaccepts(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = [];
  for (const a of c.membership.active) {
    const acc = c.acceptors[a]!;
    for (const m of Object.values(c.msgs)) {
      if (m.type !== 'Accept') continue;
      const step = c.steps.phase2b(acc, m.ballot.proposer, c.config.members, m);
      const answered = step.effects.some((e) => e.type === 'send' && e.msg.type === 'Accepted');
      if (!answered || JSON.stringify(step.state.durable) !== JSON.stringify(acc.durable)) continue;
      out.push({ action: 'Phase2b', params: { a, m }, label: `${REACCEPT}${a} ${msgKey(m)}` });
    }
  }
  return out;
}

/** The cluster configs of a cfg: one per initial active majority (the spec's Init). */
export function paxosClustersFromCfg(cfg: string): ClusterConfig[] {
  const c = cfgReader(cfg);
  const members = c.ids('Members');
  const maxBallot = c.num('MaxBallot');
  const proposers = Array.from({ length: maxBallot + 1 }, (_, i) => `p${i}`);
  const size = Math.floor(members.length / 2) + 1;
  return subsetsOfSize(members, size).map((initialActive) => ({
    members, initialActive, proposers, values: c.ids('Values'), numSlots: c.num('NumSlots'),
    maxBallot, ...(c.has('MaxMsgs') ? { maxMsgs: c.num('MaxMsgs') } : {}),
  }));
}

function subsetsOfSize(xs: readonly string[], k: number): string[][] {
  const out: string[][] = [];
  for (let mask = 0; mask < 1 << xs.length; mask += 1) {
    const s = xs.filter((_, i) => (mask & (1 << i)) !== 0);
    if (s.length === k) out.push(s);
  }
  return out;
}

/**
 * cluster.ts as a replay target; an edge labelled `Next` matches Phase1b or Phase2b.
 * The MsgBound constraint as TLC applies it: a state beyond the bound is not expanded, but the
 * edge INTO it is in the dump. cluster.ts with `maxMsgs` also drops that last edge, so the
 * target runs the cluster without `maxMsgs` and stops expanding past the bound itself.
 */
export function paxosTarget(config: ClusterConfig, steps?: ClusterSteps):
  ReplayTarget<Cluster, ClusterAction> {
  const { maxMsgs, ...unbounded } = config;
  const within = (c: Cluster) => maxMsgs === undefined || Object.keys(c.msgs).length <= maxMsgs;
  return {
    init: () => initCluster(unbounded, steps),
    enabled: (c) => (within(c) ? [...enabledActions(c), ...reaccepts(c)] : []),
    apply: (c, a) => {
      if (a.label.startsWith(REACCEPT)) return c;
      const r = applyAction(c, a);
      if (!r.ok) throw new Error(`assertion: ${r.error.message}`);
      return r.cluster;
    },
    actionName: (a) => a.action,
    matches: (a, label) =>
      a.action === label || (label === 'Next' && MESSAGE_ACTIONS.has(a.action)),
    specState: (c) => specState(c),
    describe: (a) => a.label,
  };
}

export const PAXOS_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: PAXOS_SPEC,
  generateTrace: (seed) => generatePaxosTrace(seed),
  // GroupPaxos's Init has one state per starting majority: one target each.
  replayTarget: (cfgText) => paxosClustersFromCfg(cfgText).map((c) => paxosTarget(c)),
};
