/**
 * The `plumbline` command (DESIGN.md, "Commands"). `--json` prints exactly one JSON document on
 * stdout and the exit code is 0 exactly when its `ok` is true; usage errors exit 2 (with a JSON
 * error document under `--json`). Progress goes to stderr on a terminal only.
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { parseProtocols } from '../protocols.ts';
import { checkCommand } from './check-command.ts';
import { conformCommand } from './conform-command.ts';
import { harnessCommand } from './harness-command.ts';
import { tlcCommand } from './tlc-command.ts';

export type CliIo = { out: (s: string) => void; err: (s: string) => void };
const stdio: CliIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

export class UsageError extends Error {
  readonly code = 'usage';
}

const intArg = (name: string, min: number) => (v: string): number => {
  const r = z.coerce.number().int().min(min).safeParse(v);
  if (!r.success) throw new UsageError(`${name} must be a whole number >= ${min}, got "${v}"`);
  return r.data;
};

export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  let code = 0;
  const wantsJson = argv.includes('--json');
  const program = new Command('plumbline')
    .description('TLA+ specs checked by TLC, TypeScript implementations, and the checks binding them')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  program.command('tlc')
    .description('run TLC on any spec and report a structured result')
    .argument('<spec>', 'the .tla module to check')
    .option('--config <file>', 'TLC config (default: <Spec>.cfg beside the spec)')
    .option('--workers <n>', 'TLC worker threads', intArg('--workers', 1), 1)
    .option('--no-deadlock', 'do not report deadlocks (TLC -deadlock)')
    .option('--continue', 'collect every violation instead of stopping at the first')
    .option('--timeout <seconds>', 'kill TLC after this many seconds', intArg('--timeout', 1))
    .option('--itf <file>', 'write the counterexample as ITF JSON (Apalache / Quint format)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (spec: string, o) => { code = await tlcCommand(spec, o, io); });

  program.command('check')
    .description('TLC on every model config of each protocol; bug variants must be violated')
    .argument('[protocol...]', 'protocols (default: all)')
    .option('--deep', 'also run the Deep.cfg bounds (long)')
    .option('--models-only', 'skip the bug variants')
    .option('--bugs-only', 'only the bug variants')
    .option('--timeout <seconds>', 'kill any one TLC run after this many seconds', intArg('--timeout', 1))
    .option('--json', 'print one JSON document on stdout')
    .action(async (names: string[], o) => {
      const p = parseProtocols(names);
      if (!p.ok) throw new UsageError(p.message);
      code = await checkCommand(p.protocols, o, io);
    });

  program.command('conform')
    .description('trace validation by TLC and state-graph replay against the implementation')
    .argument('[protocol...]', 'protocols (default: all)')
    .option('--runs <n>', 'simulator runs to validate', intArg('--runs', 1), 200)
    .option('--seed <s>', 'seed of the first run (run i uses seed + i)', intArg('--seed', 0), 1)
    .option('--itf <dir>', 'write every simulator trace as ITF JSON into this folder')
    .option('--json', 'print one JSON document on stdout')
    .action(async (names: string[], o) => {
      const p = parseProtocols(names);
      if (!p.ok) throw new UsageError(p.message);
      code = await conformCommand(p.protocols, o, io);
    });

  program.command('harness')
    .description('the protocol scenarios against real VMs (QEMU), block devices, processes and '
      + 'network namespaces')
    .argument('[scenario...]', 'sandbox-reuse, snapshot-gc, fencing, consensus-txn (default: all)')
    .option('--hosts <file>', 'JSON hosts file: what this site offers (KVM, NVMe namespaces, netns)')
    .option('--probe', 'report what this machine offers instead of running scenarios')
    .option('--long', 'longer runs with more faults (the default is a smoke of a minute or so each)')
    .option('--inject <bug>', 'inject one bug of a protocol sheet; its scenario must then fail')
    .option('--destructive', 'allow writing raw device paths (NVMe namespaces in the hosts file)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (names: string[], o) => { code = await harnessCommand(names, o, io); });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return usageFailure(e, wantsJson, io);
  }
}

function usageFailure(e: unknown, wantsJson: boolean, io: CliIo): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ||
      e.code === 'commander.help') return 0;
    if (wantsJson) io.out(`${JSON.stringify({ ok: false, error: { code: 'usage', message: e.message } })}\n`);
    return 2;
  }
  if (e instanceof UsageError) {
    if (wantsJson) io.out(`${JSON.stringify({ ok: false, error: { code: e.code, message: e.message } })}\n`);
    else io.err(`plumbline: ${e.message}\n`);
    return 2;
  }
  throw e;
}
