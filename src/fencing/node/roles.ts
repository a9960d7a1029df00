/**
 * The arguments of fencing's role processes (argv[2], JSON), shared by the mains and the
 * launcher. The MAC key is never an argument: it travels in PLUMBLINE_FENCING_KEY (hex).
 */
import { z } from 'zod';
import type { issuer, sled } from '../index.ts';

export const KEY_ENV = 'PLUMBLINE_FENCING_KEY';
const port = z.number().int().min(0).max(65535);
/** An IPv4 address to listen on or connect to (default 127.0.0.1; the harness uses netns). */
const host = z.ipv4().optional();

export const sledArgsSchema = z.object({
  name: z.string().min(1),
  port: port.default(0),
  /** The volume whose extents this sled's device holds. */
  volume: z.string().min(1).max(64),
  dataPath: z.string().min(1),
  statePath: z.string().min(1),
  maxBlocks: z.number().int().positive().default(1 << 20),
  destructive: z.boolean().default(false),
  host,
  /**
   * Composition: an absolute path of a module exporting `sledSteps` (a partial record of the
   * core's sledRestart / sledFence / sledWrite) that replaces those steps; tests and the
   * harness wrap a step here (bug injection stays on their side; the core is unchanged).
   */
  stepsModule: z.string().min(1).optional(),
});
export type SledArgs = z.input<typeof sledArgsSchema>;

export const issuerArgsSchema = z.object({
  name: z.string().min(1).default('issuer'),
  port: port.default(0),
  statePath: z.string().min(1),
  host,
  /** Composition: a module exporting `issuerSteps` ({ grant }) that replaces the core's. */
  stepsModule: z.string().min(1).optional(),
});
export type IssuerArgs = z.input<typeof issuerArgsSchema>;

export const headArgsSchema = z.object({
  name: z.string().min(1),
  port: port.default(0),
  volume: z.string().min(1).max(64),
  issuerPort: port,
  issuerHost: host,
  sleds: z.array(z.object({ name: z.string().min(1), port, host })).min(1).max(64),
  extents: z.array(z.number().int().nonnegative()).min(1).max(1024),
  writeQuorum: z.number().int().positive(),
  fenceQuorum: z.number().int().positive(),
  requestTimeoutMs: z.number().int().positive().default(1000),
  /** A send that failed (timeout, lost connection) is sent again after this long. */
  resendDelayMs: z.number().int().positive().default(50),
  /** How long a client write or a promotion may wait for its quorum. */
  clientTimeoutMs: z.number().int().positive().default(4000),
  host,
});
export type HeadArgs = z.input<typeof headArgsSchema>;

/** The core steps a sled runs; its `stepsModule` may replace any of them (composition). */
export type SledSteps = {
  sledRestart: typeof sled.sledRestart;
  sledFence: typeof sled.sledFence;
  sledWrite: typeof sled.sledWrite;
};

/** The issuer's core step; its `stepsModule` may replace it. */
export type IssuerSteps = { grant: typeof issuer.grant };

/** Read and check the MAC key from the environment. */
export function keyFromEnv(): Uint8Array | null {
  const hex = process.env[KEY_ENV] ?? '';
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : null;
}
