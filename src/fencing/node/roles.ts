/**
 * The arguments of fencing's role processes (argv[2], JSON), shared by the mains and the
 * launcher. The MAC key is never an argument: it travels in PLUMBLINE_FENCING_KEY (hex).
 */
import { z } from 'zod';

export const KEY_ENV = 'PLUMBLINE_FENCING_KEY';
const port = z.number().int().min(0).max(65535);

export const sledArgsSchema = z.object({
  name: z.string().min(1),
  port: port.default(0),
  /** The volume whose extents this sled's device holds. */
  volume: z.string().min(1).max(64),
  dataPath: z.string().min(1),
  statePath: z.string().min(1),
  maxBlocks: z.number().int().positive().default(1 << 20),
  destructive: z.boolean().default(false),
});
export type SledArgs = z.input<typeof sledArgsSchema>;

export const issuerArgsSchema = z.object({
  name: z.string().min(1).default('issuer'),
  port: port.default(0),
  statePath: z.string().min(1),
});
export type IssuerArgs = z.input<typeof issuerArgsSchema>;

export const headArgsSchema = z.object({
  name: z.string().min(1),
  port: port.default(0),
  volume: z.string().min(1).max(64),
  issuerPort: port,
  sleds: z.array(z.object({ name: z.string().min(1), port })).min(1).max(64),
  extents: z.array(z.number().int().nonnegative()).min(1).max(1024),
  writeQuorum: z.number().int().positive(),
  fenceQuorum: z.number().int().positive(),
  requestTimeoutMs: z.number().int().positive().default(1000),
  /** A send that failed (timeout, lost connection) is sent again after this long. */
  resendDelayMs: z.number().int().positive().default(50),
  /** How long a client write or a promotion may wait for its quorum. */
  clientTimeoutMs: z.number().int().positive().default(4000),
});
export type HeadArgs = z.input<typeof headArgsSchema>;

/** Read and check the MAC key from the environment. */
export function keyFromEnv(): Uint8Array | null {
  const hex = process.env[KEY_ENV] ?? '';
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : null;
}
