/**
 * A member process: `node --import tsx member-main.ts '<MemberArgs json>'`. Opens its WAL
 * directory (recovering the acceptor and the chosen entries it learned), serves Paxos, Chosen
 * and Log frames over TCP, and exits (code 5) if a WAL append fails.
 */
import { z } from 'zod';
import {
  announceReady, exitWithParent, parseRoleArgs, startFrameServer,
} from '../../runtime/node/index.ts';
import { Member } from './member.ts';
import { openMemberWal } from './member-wal.ts';
import { MemberRequestSchema, type MemberReply } from './wire.ts';

export const MemberArgsSchema = z.object({
  id: z.string().min(1).max(64),
  group: z.string().min(1).max(128),
  dir: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  /** The address to listen on (default 127.0.0.1). */
  host: z.string().min(1).max(64).optional(),
}).strict();
export type MemberArgs = z.infer<typeof MemberArgsSchema>;

function fail(message: string, code: number): never {
  process.stderr.write(`member: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const args = parseRoleArgs(MemberArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  exitWithParent();
  const opened = await openMemberWal(args.value.dir);
  if (!opened.ok) fail(`${opened.error.code}: ${opened.error.message}`, 3);
  const member = new Member(args.value.id, opened.value.log, opened.value.records,
    (e) => fail(`WAL append failed: ${e.message}`, 5));
  const server = await startFrameServer<z.infer<typeof MemberRequestSchema>, MemberReply>({
    port: args.value.port,
    ...(args.value.host === undefined ? {} : { host: args.value.host }),
    requestSchema: MemberRequestSchema,
    handle: (request) => member.handle(request),
    maxInFlightPerConnection: 4096,
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port, records: opened.value.records.length });
}

await main();
