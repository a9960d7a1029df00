/**
 * The credential issuer process: a durable epoch counter per extent. `Grant` raises the
 * counter, makes it durable (fdatasync) and only then answers with a MAC-signed credential, so
 * no two holders ever share an epoch, restarts included (spec action Grant / IssuerRestart).
 */
import { z } from 'zod';
import {
  announceReady,
  DurableState,
  exitWithParent,
  parseRoleArgs,
  startFrameServer,
} from '../../runtime/node/index.ts';
import { issuerArgsSchema, keyFromEnv } from './roles.ts';
import { issuerRequestSchema, signCredential, type IssuerReply } from './protocol.ts';

const counterSchema = z.object({ epochs: z.record(z.string(), z.number().int().nonnegative()) });

function fail(message: string, code: number): never {
  process.stderr.write(`issuer: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const args = parseRoleArgs(issuerArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const key = keyFromEnv();
  if (key === null) fail('the MAC key must be 32 bytes of hex in the environment', 2);
  exitWithParent();
  const state = DurableState.open(args.value.statePath, counterSchema, { epochs: {} });
  if (!state.ok) fail(state.error.message, 3);
  const counter = state.value;
  const server = await startFrameServer({
    port: args.value.port,
    requestSchema: issuerRequestSchema,
    handle: (request): IssuerReply => {
      const slot = `${request.volume}/${request.extent}`;
      const epoch = (counter.value.epochs[slot] ?? 0) + 1;
      const persisted = counter.write({ epochs: { ...counter.value.epochs, [slot]: epoch } });
      if (!persisted.ok) fail(persisted.error.message, 5);
      const grant = { volume: request.volume, extent: request.extent, epoch,
        holder: request.holder };
      return { type: 'Granted', credential: signCredential(key, grant) };
    },
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port });
}

await main();
