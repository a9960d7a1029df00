/**
 * Wire messages of sandbox-reuse, one zod schema each, discriminated on `type`: invocations to
 * a frontend, acquire/release between frontends and worker managers, and the replies.
 * Everything that crosses a process boundary is parsed with `parseMessage` first.
 */
import { z } from 'zod';

export const Id = z.string().min(1).max(128);

/** A sandbox is built for one kind: function name, version and tenant. */
export const KindSchema = z.object({
  fn: Id,
  version: z.number().int().nonnegative(),
  tenant: Id,
}).strict();
export type Kind = z.infer<typeof KindSchema>;

export const sameKind = (a: Kind, b: Kind): boolean =>
  a.fn === b.fn && a.version === b.version && a.tenant === b.tenant;

export const InvokeSchema = z.object({
  type: z.literal('Invoke'),
  requestId: Id,
  kind: KindSchema,
  /** Sticky routing: the sandbox the caller wants, used if idle and of the same kind. */
  sandbox: Id.nullable(),
  payload: z.string().max(1 << 20),
}).strict();

export const AcquireSchema = z.object({
  type: z.literal('Acquire'),
  requestId: Id,
  kind: KindSchema,
  /** 'probe': an idle sandbox only; 'provision': else provision one; 'named': this one only. */
  mode: z.enum(['probe', 'provision', 'named']),
  sandbox: Id.nullable(),
}).strict();

export const AcquireReplySchema = z.discriminatedUnion('outcome', [
  z.object({ type: z.literal('AcquireReply'), requestId: Id, outcome: z.literal('acquired'),
    worker: Id, sandbox: Id }).strict(),
  z.object({ type: z.literal('AcquireReply'), requestId: Id, outcome: z.literal('provisioning'),
    worker: Id, sandbox: Id }).strict(),
  z.object({ type: z.literal('AcquireReply'), requestId: Id, outcome: z.literal('miss'),
    worker: Id }).strict(),
]);

export const OutcomeSchema = z.enum(['success', 'error', 'timeout']);
export type Outcome = z.infer<typeof OutcomeSchema>;

export const ReleaseSchema = z.object({
  type: z.literal('Release'),
  requestId: Id,
  sandbox: Id,
  outcome: OutcomeSchema,
}).strict();

export const InvokeReplySchema = z.object({
  type: z.literal('InvokeReply'),
  requestId: Id,
  outcome: z.enum(['completed', 'throttled', 'failed']),
  result: z.string().max(1 << 20).nullable(),
  error: z.string().max(4096).nullable(),
}).strict();

export const MessageSchema = z.union([
  InvokeSchema, AcquireSchema, AcquireReplySchema, ReleaseSchema, InvokeReplySchema,
]);
export type Invoke = z.infer<typeof InvokeSchema>;
export type Acquire = z.infer<typeof AcquireSchema>;
export type AcquireReply = z.infer<typeof AcquireReplySchema>;
export type Release = z.infer<typeof ReleaseSchema>;
export type InvokeReply = z.infer<typeof InvokeReplySchema>;
export type Message = z.infer<typeof MessageSchema>;

export interface MessageError {
  readonly code: 'bad-message';
  readonly message: string;
}

/** Parses an untrusted value; a malformed message is an error value, never an exception. */
export function parseMessage(raw: unknown): { ok: true; msg: Message } |
  { ok: false; error: MessageError } {
  const r = MessageSchema.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const first = r.error.issues[0];
  const where = first === undefined ? '' : ` at ${first.path.join('.') || '(root)'}`;
  return { ok: false, error: { code: 'bad-message', message: `malformed message${where}` } };
}
