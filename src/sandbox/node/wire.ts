/**
 * Frames of sandbox-reuse's node driver (over src/runtime/node's tcp.ts envelopes):
 * frontend -> worker manager: the core's Acquire (messages.ts), Run (execute the reserved
 * request in its sandbox), Stats; client -> frontend: the core's Invoke, Stats. A function's
 * payload is the shell script its sandbox runs (`sh -c payload`).
 */
import { z } from 'zod';
import {
  AcquireReplySchema, AcquireSchema, Id, InvokeSchema, KindSchema, OutcomeSchema,
  ScopedCredentialSchema,
} from '../index.ts';

/** The scope a frontend grants a request's credential; the environment variable holding
 * the MAC key (hex, 32 bytes) in frontends and worker managers. */
export const INVOKE_SCOPE = 'invoke';
export const KEY_ENV = 'PLUMBLINE_SANDBOX_KEY';

/** The MAC key from the environment (never the command line), or null when absent or bad. */
export function keyFromEnv(): Uint8Array | null {
  const hex = process.env[KEY_ENV] ?? '';
  return /^[0-9a-f]{64}$/.test(hex) ? Uint8Array.from(Buffer.from(hex, 'hex')) : null;
}

export const runSchema = z.object({
  type: z.literal('Run'),
  requestId: Id,
  sandbox: Id,
  kind: KindSchema,
  payload: z.string().max(1 << 20),
  timeoutMs: z.number().int().positive().max(600_000),
  /** Minted by the frontend for this request in this sandbox; given to the command. */
  credential: ScopedCredentialSchema,
}).strict();
export type Run = z.infer<typeof runSchema>;

/** Ask a worker manager whether a credential verifies now for `sandbox`. */
export const verifySchema = z.object({
  type: z.literal('Verify'),
  sandbox: Id,
  credential: z.unknown(),
}).strict();
export const verifyReplySchema = z.object({
  type: z.literal('VerifyReply'),
  ok: z.boolean(),
  code: z.string().max(64).nullable(),
}).strict();
export type VerifyReply = z.infer<typeof verifyReplySchema>;

export const runReplySchema = z.object({
  type: z.literal('RunReply'),
  requestId: Id,
  outcome: OutcomeSchema,
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  /** The sandbox was taken warm (idle) rather than provisioned for this request. */
  warm: z.boolean(),
  /** How long the request waited for its sandbox at the worker manager (provision), ms. */
  readyWaitMs: z.number().nonnegative(),
}).strict();
export type RunReply = z.infer<typeof runReplySchema>;

export const refusedSchema = z.object({
  type: z.literal('Refused'),
  code: z.string().max(64),
  message: z.string().max(512),
}).strict();

export const workerStatsSchema = z.object({
  type: z.literal('WorkerStats'),
  worker: Id,
  warmHits: z.number().int(),
  provisions: z.number().int(),
  resets: z.number().int(),
  reclaims: z.number().int(),
  runs: z.number().int(),
  badFrames: z.number().int(),
  phases: z.record(z.string(), z.number().int()),
}).strict();
export type WorkerStats = z.infer<typeof workerStatsSchema>;

export const workerRequestSchema = z.union([
  AcquireSchema,
  runSchema,
  verifySchema,
  z.object({ type: z.literal('Stats') }).strict(),
]);
export type WorkerRequest = z.infer<typeof workerRequestSchema>;
export const workerReplySchema = z.union([
  AcquireReplySchema, runReplySchema, refusedSchema, workerStatsSchema, verifyReplySchema,
]);
export type WorkerReply = z.infer<typeof workerReplySchema>;

/** What a frontend answers an invocation: the core's end plus where and how it ran. */
export const invokeResultSchema = z.object({
  type: z.literal('InvokeResult'),
  requestId: Id,
  outcome: z.enum(['completed', 'throttled', 'failed']),
  result: z.string().nullable(),
  error: z.string().max(4096).nullable(),
  frontend: Id,
  worker: Id.nullable(),
  sandbox: Id.nullable(),
  warm: z.boolean(),
  /** Worker managers asked by the last attempt; attempts made. */
  asks: z.number().int().nonnegative(),
  tries: z.number().int().nonnegative(),
  /** From the Invoke frame's arrival to a sandbox ready to run it, ms. */
  acquireMs: z.number().nonnegative(),
}).strict();
export type InvokeResult = z.infer<typeof invokeResultSchema>;

export const frontendStatsSchema = z.object({
  type: z.literal('FrontendStats'),
  frontend: Id,
  /** Request id -> how many times it reached an end here (must be 1 each). */
  ends: z.record(z.string(), z.number().int()),
  failureStore: z.array(z.object({ request: Id, error: z.string(), attempts: z.number() })),
}).strict();
export type FrontendStats = z.infer<typeof frontendStatsSchema>;

export const frontendRequestSchema = z.union([
  InvokeSchema,
  z.object({ type: z.literal('Stats') }).strict(),
]);
export type FrontendRequest = z.infer<typeof frontendRequestSchema>;
export const frontendReplySchema = z.union([invokeResultSchema, frontendStatsSchema,
  refusedSchema]);
export type FrontendReply = z.infer<typeof frontendReplySchema>;

export const workerArgsSchema = z.object({
  name: Id,
  port: z.number().int().min(0).max(65535),
  capacity: z.number().int().positive().max(64),
  singleUse: z.boolean(),
  keepAliveMs: z.number().int().positive(),
  /** Run each sandbox as its own uid from this base (root only); null: the host's uid. */
  uidBase: z.number().int().positive().nullable(),
});
export type WorkerArgs = z.infer<typeof workerArgsSchema>;

export const frontendArgsSchema = z.object({
  name: Id,
  port: z.number().int().min(0).max(65535),
  workers: z.array(z.object({ name: Id, port: z.number().int().positive() })).min(1),
  maxProbes: z.number().int().nonnegative(),
  maxRetries: z.number().int().nonnegative(),
  limitFloor: z.number().int().positive(),
  limitMax: z.number().int().positive(),
  tenants: z.array(Id),
  runTimeoutMs: z.number().int().positive(),
  askTimeoutMs: z.number().int().positive(),
});
export type FrontendArgs = z.infer<typeof frontendArgsSchema>;
