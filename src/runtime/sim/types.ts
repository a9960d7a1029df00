/**
 * Types of the simulator's API: what a node behaviour receives and returns, the events a step
 * reports, and the read-only view of the world given to hooks and invariants.
 */
import type { Prng } from './prng.ts';
import type { Fault, FaultEntry, NetworkConfig, NodeId } from './schema.ts';

/** What a handler asks the driver to do. Effects run in order, after the handler returns. */
export type Effect<Msg> =
  | { type: 'send'; to: NodeId; msg: Msg }
  /** Arms timer `name` to fire after `afterMs`; re-arming an armed timer replaces it. */
  | { type: 'setTimer'; name: string; afterMs: number }
  /** Disarms timer `name` (no-op when it is not armed). */
  | { type: 'cancelTimer'; name: string }
  /** A line for the bounded debug log (never affects the run). */
  | { type: 'log'; text: string };

/** Given to every handler call; valid only during that call (do not keep it). */
export interface SimContext {
  readonly self: NodeId;
  /** The virtual clock, integer milliseconds since the start of the run. */
  readonly nowMs: number;
  /** Counts restarts of this node: 0 at init, +1 per restart. */
  readonly incarnation: number;
  /**
   * The node's own random stream. Sans-IO cores draw no randomness; an adapter may draw here
   * (e.g. jitter) and pass the value into the core as an input.
   */
  readonly rng: Prng;
}

/** The node as a handler sees it. */
export interface NodeState<Durable, Volatile> {
  readonly id: NodeId;
  readonly durable: Durable;
  readonly volatile: Volatile;
}

/** A handler's result: omitted state parts stay as they were. */
export interface Transition<Msg, Durable, Volatile> {
  durable?: Durable;
  volatile?: Volatile;
  effects?: readonly Effect<Msg>[];
}

/**
 * A node's behaviour. One behaviour serves every node; a system with several roles dispatches
 * on `id` (and uses union types for the states). Handlers must be deterministic functions of
 * their arguments (time and randomness come from `ctx`).
 */
export interface NodeBehavior<Msg, Durable, Volatile, Input> {
  init(id: NodeId, ctx: SimContext): {
    durable: Durable;
    volatile: Volatile;
    effects?: readonly Effect<Msg>[];
  };
  /** After a restart: rebuild volatile state from durable state. */
  recover(id: NodeId, durable: Durable, ctx: SimContext): Transition<Msg, Durable, Volatile> & {
    volatile: Volatile;
  };
  onMessage(
    node: NodeState<Durable, Volatile>,
    from: NodeId,
    msg: Msg,
    ctx: SimContext,
  ): Transition<Msg, Durable, Volatile>;
  onTimer(
    node: NodeState<Durable, Volatile>,
    name: string,
    ctx: SimContext,
  ): Transition<Msg, Durable, Volatile>;
  onInput(
    node: NodeState<Durable, Volatile>,
    input: Input,
    ctx: SimContext,
  ): Transition<Msg, Durable, Volatile>;
}

/** An external input (e.g. a client request) delivered to `node` at `atMs`. */
export interface InputEntry<Input> {
  atMs: number;
  node: NodeId;
  input: Input;
}

/** Everything a run needs besides the code: replaying (seed, plan) repeats the run exactly. */
export interface SimPlan<Input> {
  faults: readonly FaultEntry[];
  inputs?: readonly InputEntry<Input>[];
}

export type DropReason =
  | 'lost' // the network lost it (lossRate)
  | 'partitioned' // the link was blocked at send or at arrival
  | 'overflow' // maxInFlight reached
  | 'crashed' // the destination was down at arrival
  | 'stale-incarnation'; // dropAcrossRestart and the destination restarted meanwhile

/** A message dropped while a step's effects ran (it never reaches the queue). */
export interface SendDrop {
  to: NodeId;
  msgId: number;
  reason: DropReason;
}

interface EventBase {
  /** 1-based step number. */
  step: number;
  atMs: number;
}

/** What one step did. */
export type SimEvent<Msg, Input> =
  | (EventBase & {
      kind: 'deliver';
      node: NodeId;
      from: NodeId;
      msg: Msg;
      msgId: number;
      /** Messages this step's handler sent that were dropped at once. */
      drops?: SendDrop[];
    })
  | (EventBase & { kind: 'timer'; node: NodeId; name: string; drops?: SendDrop[] })
  | (EventBase & { kind: 'input'; node: NodeId; input: Input; drops?: SendDrop[] })
  | (EventBase & {
      kind: 'crash' | 'restart' | 'pause' | 'resume';
      node: NodeId;
      /** False when the fault did not apply (e.g. restart of a running node). */
      effective: boolean;
      drops?: SendDrop[];
    })
  | (EventBase & { kind: 'partition' | 'heal' | 'network'; fault: Fault })
  | (EventBase & {
      kind: 'drop';
      node: NodeId;
      reason: DropReason;
      what: 'message' | 'input';
      from?: NodeId;
      msgId?: number;
    });

export type SimEventKind = SimEvent<unknown, unknown>['kind'];

/** A violated invariant: its name (the spec's invariant name) and an optional detail. */
export interface Violation {
  name: string;
  detail?: string;
}

export type NodeStatus = 'up' | 'paused' | 'crashed';

export interface NodeView<Durable, Volatile> {
  readonly id: NodeId;
  readonly status: NodeStatus;
  readonly durable: Durable;
  /** Undefined while the node is crashed. */
  readonly volatile: Volatile | undefined;
  readonly incarnation: number;
  /** Names of armed timers (empty while crashed). */
  timerNames(): string[];
}

export interface SimStats {
  steps: number;
  sent: number;
  delivered: number;
  duplicated: number;
  timersFired: number;
  inputs: number;
  faults: number;
  dropped: Record<DropReason, number>;
  /** Messages, timers and inputs set aside for a paused node, counted when set aside. */
  held: number;
}

/** The read-only world given to hooks and invariants. */
export interface SimWorld<Durable, Volatile> {
  readonly seed: number;
  readonly nowMs: number;
  /** Steps taken so far. */
  readonly stepCount: number;
  readonly nodeIds: readonly NodeId[];
  node(id: NodeId): NodeView<Durable, Volatile>;
  /** Messages queued or held, not yet delivered or dropped. */
  readonly inFlight: number;
  readonly network: Readonly<NetworkConfig>;
  isBlocked(from: NodeId, to: NodeId): boolean;
  readonly stats: Readonly<SimStats>;
}

export type StopReason = 'quiescent' | 'max-steps' | 'max-time';

/** Why a run failed. Carries what replays it: `replay(options, seed, plan)`. */
export interface SimFailure<Msg, Input> {
  code: 'invariant' | 'exception' | 'bad-plan';
  message: string;
  seed: number;
  plan: SimPlan<Input>;
  /** The step after which the failure was seen (0: after init). */
  step: number;
  atMs: number;
  /** Names of violated invariants (empty for exceptions). */
  violated: string[];
  violations: Violation[];
  /** The last events before the failure, oldest first (bounded by `eventLogSize`). */
  lastEvents: SimEvent<Msg, Input>[];
  /** The last `log` effects, formatted `"<atMs> <node> <text>"`. */
  lastLogs: string[];
  /** Hash of the whole event log up to the failure. */
  logHash: string;
}

export type SimResult<Msg, Input> =
  | {
      ok: true;
      stop: StopReason;
      steps: number;
      nowMs: number;
      stats: SimStats;
      logHash: string;
    }
  | {
      ok: false;
      failure: SimFailure<Msg, Input>;
      steps: number;
      nowMs: number;
      stats: SimStats;
      logHash: string;
    };
