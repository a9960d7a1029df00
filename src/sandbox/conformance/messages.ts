/**
 * The messages between the frontend node and the worker manager nodes of a simulated
 * sandbox-reuse cluster, one zod schema each (discriminated on `type`). Every delivery is
 * parsed first; a malformed message is counted and dropped, never thrown on.
 *
 * Ids: an ask is `askId` (unique per frontend, carried again by every retry of the ask);
 * an attempt is `attempt` = `<request>/<redrives>.<tries>`, which tells a stale Run, Result,
 * Release or SandboxReady of an earlier attempt from the current one.
 */
import { z } from 'zod';
import { KindSchema, OutcomeSchema } from '../messages.ts';
import { ScopedCredentialSchema } from '../credential.ts';

const Id = z.string().min(1).max(128);

const AnswerSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('acquired'), sandbox: Id }).strict(),
  z.object({ outcome: z.literal('provisioning'), sandbox: Id }).strict(),
  z.object({ outcome: z.literal('miss') }).strict(),
]);

export const SimMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Acquire'), askId: Id, request: Id, attempt: Id, kind: KindSchema,
    mode: z.enum(['probe', 'provision', 'named']), sandbox: Id.nullable() }).strict(),
  z.object({ type: z.literal('AcquireReply'), askId: Id, request: Id, worker: Id,
    answer: AnswerSchema }).strict(),
  z.object({ type: z.literal('SandboxReady'), request: Id, attempt: Id, sandbox: Id }).strict(),
  z.object({ type: z.literal('Run'), request: Id, attempt: Id, sandbox: Id,
    credential: ScopedCredentialSchema }).strict(),
  z.object({ type: z.literal('Result'), request: Id, attempt: Id, sandbox: Id,
    outcome: z.enum(['success', 'error']) }).strict(),
  z.object({ type: z.literal('Release'), request: Id, attempt: Id, sandbox: Id,
    outcome: OutcomeSchema }).strict(),
  z.object({ type: z.literal('ReleaseAck'), request: Id, attempt: Id, sandbox: Id }).strict(),
]);
export type SimMessage = z.infer<typeof SimMessageSchema>;
export type AcquireAnswer = z.infer<typeof AnswerSchema>;

/** Parses a delivered value; null when it is malformed (the caller counts and drops it). */
export function parseSimMessage(raw: unknown): SimMessage | null {
  const r = SimMessageSchema.safeParse(raw);
  return r.success ? r.data : null;
}
