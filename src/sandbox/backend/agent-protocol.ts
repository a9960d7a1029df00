/**
 * The frames between the process backend and its agent (agent.mjs): JSON lines over the
 * agent's stdio. The agent validates requests with its own copy of the request shape; the host
 * validates every answer here and drops (and counts) what does not match.
 */
import { z } from 'zod';
import { envSchema } from './types.ts';

export const agentRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  type: z.literal('exec'),
  command: z.string().min(1),
  args: z.array(z.string()),
  env: envSchema,
  stdin: z.string().optional(),
  timeoutMs: z.number().int().positive(),
  maxOutputBytes: z.number().int().positive(),
});
export type AgentRequest = z.infer<typeof agentRequestSchema>;

export const agentAnswerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int().positive() }),
  z.object({ id: z.number().int(), type: z.literal('started'), pid: z.number().int().positive() }),
  z.object({
    id: z.number().int(),
    type: z.literal('result'),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z.boolean(),
    durationMs: z.number().nonnegative(),
    timedOut: z.boolean(),
  }),
  z.object({
    id: z.number().int(),
    type: z.literal('error'),
    code: z.string().max(64),
    message: z.string().max(2048).optional(),
  }),
]);
export type AgentAnswer = z.infer<typeof agentAnswerSchema>;
