/**
 * The serialisable parts of a simulation, as zod schemas: network configuration, faults and
 * fault plans. A fault plan read from a file or a failure report goes through
 * `parseFaultPlan`, which returns an error value instead of throwing.
 */
import { z } from 'zod';

export const NodeIdSchema = z.string().min(1).max(200);
export type NodeId = z.infer<typeof NodeIdSchema>;

const msInt = z.number().int().min(0).max(1e12);
const rate = z.number().min(0).max(1);

/** How long a message spends in the network, in integer milliseconds. */
export const DelaySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: msInt }).strict(),
  z
    .object({ kind: z.literal('uniform'), minMs: msInt, maxMs: msInt })
    .strict()
    .refine((d) => d.minMs <= d.maxMs, 'minMs must not exceed maxMs'),
  /** Exponential with the given mean, rounded, cut at maxMs: a long tail of slow messages. */
  z.object({ kind: z.literal('exponential'), meanMs: msInt, maxMs: msInt }).strict(),
]);
export type Delay = z.infer<typeof DelaySchema>;

export const NetworkConfigSchema = z
  .object({
    delay: DelaySchema.default({ kind: 'uniform', minMs: 1, maxMs: 10 }),
    /** Probability that a sent message is lost. */
    lossRate: rate.default(0),
    /** Probability that a sent message is delivered twice (each copy with its own delay). */
    dupRate: rate.default(0),
    /** Explicit reordering: with probability `rate` a message gets up to `extraMsMax` more. */
    reorder: z
      .object({ rate, extraMsMax: msInt })
      .strict()
      .default({ rate: 0, extraMsMax: 0 }),
    /** When true, each directed link delivers in send order (a TCP-like channel). */
    fifo: z.boolean().default(false),
    /** Limit on messages in flight (queued or held for a paused node); beyond it, dropped. */
    maxInFlight: z.number().int().min(1).max(10_000_000).default(100_000),
    /** When true, a message sent to an earlier incarnation of a node is dropped on arrival. */
    dropAcrossRestart: z.boolean().default(false),
  })
  .strict();
/** The network configuration as written by callers (every field optional). */
export type NetworkConfigInput = z.input<typeof NetworkConfigSchema>;
/** The network configuration with defaults filled in. */
export type NetworkConfig = z.infer<typeof NetworkConfigSchema>;

export const FaultSchema = z.discriminatedUnion('type', [
  /** Kill the node: volatile state, timers and held messages are lost; durable state stays. */
  z.object({ type: z.literal('crash'), node: NodeIdSchema }).strict(),
  /** Start a crashed node again: its behaviour's `recover` runs on its durable state. */
  z.object({ type: z.literal('restart'), node: NodeIdSchema }).strict(),
  /** SIGSTOP: the node handles nothing; messages, timers and inputs wait for `resume`. */
  z.object({ type: z.literal('pause'), node: NodeIdSchema }).strict(),
  /** SIGCONT: everything held for the node is handled, in the order it arrived. */
  z.object({ type: z.literal('resume'), node: NodeIdSchema }).strict(),
  /** Block the directed link from -> to (messages in flight on it are dropped on arrival). */
  z.object({ type: z.literal('partition'), from: NodeIdSchema, to: NodeIdSchema }).strict(),
  /** Unblock the directed link from -> to. */
  z.object({ type: z.literal('heal'), from: NodeIdSchema, to: NodeIdSchema }).strict(),
  /** Block every link to and from the node. */
  z.object({ type: z.literal('isolate'), node: NodeIdSchema }).strict(),
  /** Unblock every link to and from the node. */
  z.object({ type: z.literal('rejoin'), node: NodeIdSchema }).strict(),
  /** Unblock every link. */
  z.object({ type: z.literal('healAll') }).strict(),
  /** Change the loss and/or duplication rate from now on. */
  z.object({ type: z.literal('network'), lossRate: rate.optional(), dupRate: rate.optional() })
    .strict(),
]);
export type Fault = z.infer<typeof FaultSchema>;

export const FaultEntrySchema = z.object({ atMs: msInt, fault: FaultSchema }).strict();
export type FaultEntry = z.infer<typeof FaultEntrySchema>;

/** A fault plan: faults applied when the virtual clock reaches `atMs` (in list order on ties). */
export const FaultPlanSchema = z.array(FaultEntrySchema).max(100_000);
export type FaultPlan = z.infer<typeof FaultPlanSchema>;

export type PlanError = { code: 'bad-plan'; message: string };

/** Validates an untrusted fault plan (e.g. JSON from a failure report). */
export function parseFaultPlan(
  raw: unknown,
): { ok: true; plan: FaultPlan } | { ok: false; error: PlanError } {
  const parsed = FaultPlanSchema.safeParse(raw);
  if (parsed.success) return { ok: true, plan: parsed.data };
  const first = parsed.error.issues[0];
  const where = first === undefined ? '' : ` at ${first.path.join('.') || '(root)'}`;
  const message = `invalid fault plan${where}: ${first?.message ?? 'unknown issue'}`;
  return { ok: false, error: { code: 'bad-plan', message } };
}
