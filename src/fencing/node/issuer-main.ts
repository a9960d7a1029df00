/**
 * The credential issuer process: the core `issuer` (src/fencing/issuer.ts) with its durable
 * epoch counters in a DurableState file. A RequestGrant frame is one call of `grant`; its
 * effects run in order: persist -> DurableState.write (fdatasync), then send -> the Grant
 * answer, so no two holders ever share an epoch, restarts included (spec Grant / IssuerRestart).
 * `stepsModule` may replace `grant` (composition, for bug injection from the test side).
 */
import { z } from 'zod';
import { issuer as core, type IssuerEffect, type IssuerState } from '../index.ts';
import {
  announceReady,
  DurableState,
  exitWithParent,
  parseRoleArgs,
  startFrameServer,
} from '../../runtime/node/index.ts';
import { issuerArgsSchema, keyFromEnv, type IssuerSteps } from './roles.ts';
import { loadSteps } from './steps-module.ts';
import { issuerRequestSchema, type IssuerReply, type IssuerRequest } from './wire.ts';

const counterSchema = z.object({ epochs: z.record(z.string(), z.number().int().nonnegative()) });
type Counter = z.infer<typeof counterSchema>;

function fail(message: string, code: number): never {
  process.stderr.write(`issuer: ${message}\n`);
  process.exit(code);
}

function perform(file: DurableState<Counter>, effects: IssuerEffect[]): IssuerReply {
  let reply: IssuerReply | null = null;
  for (const effect of effects) {
    switch (effect.type) {
      case 'persist': {
        const written = file.write({ epochs: { ...effect.durable.epochs } });
        if (!written.ok) fail(written.error.message, 5);
        break;
      }
      case 'send':
        reply = effect.msg;
        break;
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
  if (reply === null) throw new Error('assertion failed: a grant answers');
  return reply;
}

async function main(): Promise<void> {
  const args = parseRoleArgs(issuerArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const key = keyFromEnv();
  if (key === null) fail('the MAC key must be 32 bytes of hex in the environment', 2);
  exitWithParent();
  const file = DurableState.open(args.value.statePath, counterSchema, { epochs: {} });
  if (!file.ok) fail(file.error.message, 3);
  const steps = await loadSteps<IssuerSteps>(args.value.stepsModule, 'issuerSteps',
    { grant: core.grant });
  if (!steps.ok) fail(steps.error.message, 2);
  let state: IssuerState = core.initIssuer({ id: args.value.name, key }, file.value.value);
  const server = await startFrameServer({
    host: args.value.host,
    port: args.value.port,
    requestSchema: issuerRequestSchema,
    handle: (request: IssuerRequest): IssuerReply => {
      const step = steps.value.grant(state, request);
      state = step.state;
      return perform(file.value, step.effects);
    },
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port });
}

await main();
