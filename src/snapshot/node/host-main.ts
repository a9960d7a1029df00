/**
 * The GC host as its own process: `node --import tsx host-main.ts '<json args>'`. It starts a
 * GcHost over the process backend (agents are its children), prints the ready line with its
 * client port, and exits when its stdin closes (the parent went away) or on SIGTERM, stopping
 * every agent first.
 */
import { z } from 'zod';
import {
  announceReady, parseRoleArgs,
} from '../../runtime/node/index.ts';
import { readySpecSchema } from '../backend/index.ts';
import { GcHost } from './gc-host.ts';

export const hostArgsSchema = z.object({
  dir: z.string().min(1),
  ready: readySpecSchema,
  thresholdBytes: z.number().int().positive(),
  slot: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/).optional(),
  maxRunning: z.number().int().positive().max(1024).optional(),
  readIntervalMs: z.number().int().positive().max(60_000).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  spareAgents: z.number().int().min(0).max(16).optional(),
});
export type HostArgs = z.infer<typeof hostArgsSchema>;

async function main(): Promise<void> {
  const args = parseRoleArgs(hostArgsSchema);
  if (!args.ok) {
    process.stderr.write(`gc-host: ${args.error.message}\n`);
    process.exit(2);
  }
  const host = await GcHost.start(args.value);
  if (!host.ok) {
    process.stderr.write(`gc-host: ${host.error.code}: ${host.error.message}\n`);
    process.exit(1);
  }
  const stop = async (): Promise<void> => {
    await host.value.stop();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
  announceReady({ port: host.value.port, snapshotBytes: host.value.snapshotRef.bytes });
}

void main();
