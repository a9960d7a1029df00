/**
 * A proposer process: `node --import tsx proposer-main.ts '<ProposerArgs json>'`. Runs a
 * ProposerNode over TCP to the members and serves Begin / Await / Drain / Stats frames.
 * It holds nothing durable: killed and restarted, it relearns the groups' logs.
 */
import { z } from 'zod';
import {
  announceReady, exitWithParent, parseRoleArgs, startFrameServer,
} from '../../runtime/node/index.ts';
import { ProposerNode } from './proposer.ts';
import { tcpTransport } from './transport.ts';
import {
  GroupsSchema, ProposerRequestSchema, type ProposerReply, type ProposerRequest,
} from './wire.ts';

export const ProposerArgsSchema = z.object({
  id: z.string().min(1).max(64),
  groups: GroupsSchema,
  port: z.number().int().min(0).max(65535),
  /** The address to listen on (default 127.0.0.1). */
  host: z.string().min(1).max(64).optional(),
  txnRetryMs: z.number().int().positive().optional(),
  recoverAfterMs: z.number().int().positive().optional(),
  paxosRetryMs: z.number().int().positive().optional(),
}).strict();
export type ProposerArgs = z.infer<typeof ProposerArgsSchema>;

function fail(message: string, code: number): never {
  process.stderr.write(`proposer: ${message}\n`);
  process.exit(code);
}

function serve(node: ProposerNode, req: ProposerRequest): Promise<ProposerReply> | ProposerReply {
  switch (req.type) {
    case 'Begin': return node.begin(req.txn, req.waitMs, req.lc);
    case 'Await': return node.awaitDecision(req.txnId, req.waitMs);
    case 'Drain': return node.drain(req.waitMs);
    case 'Stats': return { type: 'Stats', stats: node.stats() };
    default: {
      const never: never = req;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

async function main(): Promise<void> {
  const args = parseRoleArgs(ProposerArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  exitWithParent();
  const { id, groups, txnRetryMs, recoverAfterMs, paxosRetryMs } = args.value;
  const memberIds = Object.fromEntries(Object.entries(groups).map(([g, ms]) => [g,
    ms.map((m) => m.id)]));
  const node = new ProposerNode({ id, groups: memberIds,
    ...(txnRetryMs === undefined ? {} : { txnRetryMs }),
    ...(recoverAfterMs === undefined ? {} : { recoverAfterMs }),
    ...(paxosRetryMs === undefined ? {} : { paxosRetryMs }) }, tcpTransport(groups));
  const server = await startFrameServer({
    port: args.value.port,
    ...(args.value.host === undefined ? {} : { host: args.value.host }),
    requestSchema: ProposerRequestSchema,
    handle: (request) => serve(node, request),
    maxInFlightPerConnection: 4096,
    maxConnections: 256,
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port });
}

await main();
