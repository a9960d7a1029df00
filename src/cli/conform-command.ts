import { resolve } from 'node:path';
import pc from 'picocolors';
import { type ConformResult, runConform } from '../conform/index.ts';
import type { ProtocolName } from '../protocols.ts';
import type { CliIo } from './main.ts';
import { formatSeconds, progressFor } from './progress.ts';

export interface ConformCommandOptions { runs: number; seed: number; itf?: string; json?: boolean }

function pct(a: number, b: number): string {
  return b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`;
}

export function formatConformResult(r: ConformResult): string {
  const mark = r.ok ? pc.green('ok  ') : pc.red('FAIL');
  const t = r.traces;
  const p = r.replay;
  const lines = [
    `${mark} ${r.protocol} (${r.spec}), seed ${r.seed}, ${formatSeconds(r.seconds)}`,
    `     traces: ${t.accepted}/${t.run} accepted by TLC (${t.steps} steps, ` +
      `TLC ${formatSeconds(t.tlcSeconds)}), actions seen: ${t.actionsSeen.length}`,
    `     replay (${p.config}): actions ${p.actionsCovered}/${p.actionsTotal}, edges ` +
      `${p.edgesCovered}/${p.edgesTotal} (${pct(p.edgesCovered, p.edgesTotal)}) over ${p.paths} paths`,
  ];
  for (const x of t.rejections.slice(0, 5)) {
    lines.push(`     rejected trace ${x.trace} (seed ${x.seed}) at step ${x.firstRejectedStep}` +
      `${x.action ? ` (${x.action})` : ''}${x.detail ? `: ${x.detail}` : ''}`);
  }
  for (const m of p.mismatches.slice(0, 5)) {
    lines.push(`     replay path ${m.path} step ${m.step} (${m.action}): ${m.detail}`);
  }
  if (p.actionsUncovered.length > 0) lines.push(`     actions not covered: ${p.actionsUncovered.join(', ')}`);
  for (const reason of r.reasons) lines.push(`     ${reason}`);
  return lines.join('\n');
}

export async function conformCommand(protocols: ProtocolName[], o: ConformCommandOptions, io: CliIo):
  Promise<number> {
  const progress = progressFor();
  const report = await runConform(protocols, {
    runs: o.runs, seed: o.seed, itfDir: o.itf === undefined ? undefined : resolve(o.itf),
    onEvent: (e) => {
      if (e.type === 'phase') progress.update(`${e.protocol}: ${e.phase} …`);
      if (e.type === 'runs') progress.update(`${e.protocol}: simulator runs ${e.done}/${e.total}`);
    },
  });
  progress.done();
  if (o.json) {
    io.out(`${JSON.stringify(report)}\n`);
  } else {
    for (const r of report.results) io.out(`${formatConformResult(r)}\n`);
    for (const e of report.errors) io.out(`${pc.red('FAIL')} ${e.protocol}: ${e.code}: ${e.message}\n`);
    io.out(report.ok ? pc.green('conform passed\n') : pc.red('conform failed\n'));
  }
  return report.ok ? 0 : 1;
}
