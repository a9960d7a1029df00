/**
 * The head node process: serves Promote / ClientWrite / ClientRead / Status frames from
 * clients and drives the core head of each extent against the issuer and the sleds
 * (see head-node.ts).
 */
import {
  announceReady,
  exitWithParent,
  parseRoleArgs,
  startFrameServer,
} from '../../runtime/node/index.ts';
import { HeadNode } from './head-node.ts';
import { headRequestSchema, type HeadReply, type HeadRequest } from './wire.ts';
import { headArgsSchema } from './roles.ts';

function fail(message: string, code: number): never {
  process.stderr.write(`head: ${message}\n`);
  process.exit(code);
}

function serve(head: HeadNode, request: HeadRequest): Promise<HeadReply> | HeadReply {
  switch (request.type) {
    case 'Promote':
      return head.promote();
    case 'ClientWrite':
      return head.write(request.extent, request.val);
    case 'ClientRead':
      return head.read(request.extent);
    case 'Status':
      return { type: 'Status', phases: head.phases() };
    default: {
      const unreachable: never = request;
      throw new Error(`unknown request ${JSON.stringify(unreachable)}`);
    }
  }
}

async function main(): Promise<void> {
  const args = parseRoleArgs(headArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const { writeQuorum, fenceQuorum, sleds } = args.value;
  if (writeQuorum + fenceQuorum <= sleds.length) fail('W + F must exceed N', 2);
  exitWithParent();
  const head = new HeadNode(args.value);
  const server = await startFrameServer({
    host: args.value.host,
    port: args.value.port,
    requestSchema: headRequestSchema,
    handle: (request) => serve(head, request),
    maxInFlightPerConnection: 1024,
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port });
}

await main();
