import pc from 'picocolors';
import { type CheckItem, runCheck } from '../check/index.ts';
import type { ProtocolName } from '../protocols.ts';
import type { CliIo } from './main.ts';
import { UsageError } from './main.ts';
import { formatCount, formatSeconds, progressFor } from './progress.ts';

export interface CheckCommandOptions {
  deep?: boolean; modelsOnly?: boolean; bugsOnly?: boolean; timeout?: number; json?: boolean;
}

function line(item: CheckItem): string {
  const mark = item.ok ? pc.green('ok  ') : pc.red('FAIL');
  const what = item.kind === 'bug'
    ? `bug ${item.bug}: ${item.config} must violate ${item.expected}: ` +
      `${item.violated ? `${item.outcome} of ${item.violated}` : item.outcome}`
    : `${item.config}: ${item.outcome}`;
  const figures = `${formatCount(item.distinctStates)} distinct states, depth ${item.depth}, ` +
    `${formatSeconds(item.seconds)}`;
  return `${mark} ${what} (${figures})${item.reason ? `\n       ${item.reason}` : ''}`;
}

export async function checkCommand(protocols: ProtocolName[], o: CheckCommandOptions, io: CliIo):
  Promise<number> {
  if (o.modelsOnly && o.bugsOnly) throw new UsageError('--models-only and --bugs-only exclude each other');
  const progress = progressFor();
  const report = await runCheck({
    protocols, deep: o.deep, only: o.modelsOnly ? 'models' : o.bugsOnly ? 'bugs' : undefined,
    timeoutMs: o.timeout ? o.timeout * 1000 : undefined,
    onEvent: (e) => {
      if (e.type === 'start') progress.update(`TLC ${e.config} …`);
      if (e.type === 'progress') {
        progress.update(`TLC ${e.config}: ${formatCount(e.progress.distinctStates)} distinct, ` +
          `${formatCount(e.progress.queueSize ?? 0)} on queue`);
      }
      if (e.type === 'done' && !o.json) {
        progress.done();
        io.out(`${line(e.item)}\n`);
      }
    },
  });
  progress.done();
  if (o.json) {
    io.out(`${JSON.stringify(report)}\n`);
  } else {
    for (const e of report.errors) io.out(`${pc.red('FAIL')} ${e.protocol}: ${e.code}: ${e.message}\n`);
    const bad = report.results.filter((r) => !r.ok).length + report.errors.length;
    io.out(report.ok ? pc.green(`check passed: ${report.results.length} TLC runs\n`)
      : pc.red(`check failed: ${bad} of ${report.results.length + report.errors.length} failed\n`));
  }
  return report.ok ? 0 : 1;
}
