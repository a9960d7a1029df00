/**
 * The process backend's stdio protocol: length-prefixed JSON frames (src/runtime/node/framing)
 * on the agent's stdin (host -> agent requests) and stdout (agent -> host replies and the one
 * unsolicited `ready` frame). Both directions are zod-validated.
 */
import { z } from 'zod';
import {
  connectionInfoSchema,
  entropyHexSchema,
  executionSchema,
  instanceInfoSchema,
  readySpecSchema,
} from './types.ts';

const slotSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/);

/** What an instance starts as: a cold start, or a restore from an image file. */
export const startArgsSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('cold'),
    instanceId: z.string(),
    slot: slotSchema,
    preservedPath: z.string(),
    ready: readySpecSchema,
    generation: z.number().int().nonnegative(),
    entropyHex: entropyHexSchema,
  }),
  z.object({
    mode: z.literal('restore'),
    instanceId: z.string(),
    slot: slotSchema,
    preservedPath: z.string(),
    snapshotPath: z.string(),
  }),
]);
export type StartArgs = z.infer<typeof startArgsSchema>;

/**
 * argv[2] of an agent: start at once, or `idle` (a warm spare process, like a VMM started
 * ahead with no guest yet) that waits for a `start` request.
 */
export const agentArgsSchema = z.union([startArgsSchema, z.object({ mode: z.literal('idle') })]);
export type AgentArgs = z.infer<typeof agentArgsSchema>;

export const agentRequestBodySchema = z.discriminatedUnion('type', [
  /** To an idle agent only: become this instance (initialise or load the image). */
  z.object({ type: z.literal('start'), args: startArgsSchema }),
  /** First frame after a restore, before anything else runs (VMGenID + fresh entropy). */
  z.object({ type: z.literal('resume'), generation: z.number().int().nonnegative(),
    entropyHex: entropyHexSchema }),
  z.object({ type: z.literal('execute'), execution: executionSchema }),
  z.object({ type: z.literal('info') }),
  z.object({ type: z.literal('snapshot'), path: z.string().min(1) }),
  z.object({ type: z.literal('random'), bytes: z.number().int().min(1).max(4096) }),
  z.object({ type: z.literal('open-connection'), host: z.string(), port: z.number().int() }),
  z.object({ type: z.literal('connections') }),
  z.object({ type: z.literal('close-connections') }),
]);
export type AgentRequestBody = z.infer<typeof agentRequestBodySchema>;
export const agentRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  body: agentRequestBodySchema,
});
export type AgentRequest = z.infer<typeof agentRequestSchema>;

export const agentReplyBodySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), readyMs: z.number().nonnegative() }),
  z.object({ type: z.literal('resumed'), generation: z.number().int().nonnegative() }),
  z.object({ type: z.literal('executed'), executionId: z.string(),
    generation: z.number().int().nonnegative(), garbageBytes: z.number().int().nonnegative(),
    nonceHex: z.string() }),
  z.object({ type: z.literal('info'), info: instanceInfoSchema }),
  z.object({ type: z.literal('snapshotted'), bytes: z.number().int().nonnegative(),
    stateDigest: z.string(), garbageBytes: z.number().int().nonnegative(),
    generation: z.number().int().nonnegative() }),
  z.object({ type: z.literal('random'), hex: z.string() }),
  z.object({ type: z.literal('connection'), connection: connectionInfoSchema }),
  z.object({ type: z.literal('connections'), connections: z.array(connectionInfoSchema) }),
  z.object({ type: z.literal('closed'), connectionIds: z.array(z.string()) }),
]);
export type AgentReplyBody = z.infer<typeof agentReplyBodySchema>;

export const agentErrorSchema = z.object({ code: z.string().max(64), message: z.string() });

export const agentFrameSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), pid: z.number().int(), readyMs: z.number() }),
  z.object({ kind: z.literal('reply'), id: z.number().int().nonnegative(),
    body: agentReplyBodySchema }),
  z.object({ kind: z.literal('error'), id: z.number().int().nonnegative(),
    error: agentErrorSchema }),
]);
export type AgentFrame = z.infer<typeof agentFrameSchema>;

/** The snapshot file: the instance's whole non-preserved state (its "memory image"). */
export const instanceImageSchema = z.object({
  format: z.literal('plumbline-process-image/1'),
  slot: slotSchema,
  generation: z.number().int().nonnegative(),
  executions: z.number().int().nonnegative(),
  prngStateHex: z.string().regex(/^[0-9a-f]{64}$/),
  table: z.array(z.string()),
  /** Each garbage allocation, by size and fill byte (its content is determined by those). */
  garbage: z.array(z.object({ bytes: z.number().int().nonnegative(),
    fill: z.number().int().min(0).max(255) })),
  /** Connections the instance believed open when the image was taken. */
  connections: z.array(z.object({ connectionId: z.string(), localPort: z.number().int() })),
  nextConnection: z.number().int().nonnegative(),
});
export type InstanceImage = z.infer<typeof instanceImageSchema>;

/** The image file: the image plus its digest, so a torn or edited file is refused. */
export const imageFileSchema = z.object({ image: instanceImageSchema, digest: z.string() });
