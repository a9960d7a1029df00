import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { formatTlcResult } from '../tla/format.ts';
import { writeItf } from '../tla/itf.ts';
import { runTlc } from '../tla/runner.ts';
import type { CliIo } from './main.ts';
import { UsageError } from './main.ts';
import { formatCount, progressFor } from './progress.ts';

export interface TlcCommandOptions {
  config?: string; workers: number; deadlock: boolean; continue?: boolean;
  timeout?: number; itf?: string; json?: boolean;
}

export async function tlcCommand(spec: string, o: TlcCommandOptions, io: CliIo): Promise<number> {
  const specPath = resolve(spec);
  if (!existsSync(specPath)) throw new UsageError(`no such spec: ${spec}`);
  if (o.config && !existsSync(resolve(o.config))) throw new UsageError(`no such config: ${o.config}`);
  const progress = progressFor();
  const result = await runTlc({
    spec: specPath, config: o.config ? resolve(o.config) : undefined, workers: o.workers,
    checkDeadlock: o.deadlock, continueAfterViolation: o.continue,
    timeoutMs: o.timeout ? o.timeout * 1000 : undefined,
    onProgress: (p) => progress.update(`TLC: ${formatCount(p.generatedStates)} generated, ` +
      `${formatCount(p.distinctStates)} distinct, ${formatCount(p.queueSize ?? 0)} on queue`),
  });
  progress.done();
  let itfPath: string | undefined;
  if (o.itf && result.trace && result.trace.length > 0) {
    itfPath = resolve(o.itf);
    writeItf(itfPath, result.trace.map((s) => s.state), { loopsBackTo: result.loopsBackTo, source: specPath });
  }
  if (o.json) {
    io.out(`${JSON.stringify(itfPath ? { ...result, itf: itfPath } : result)}\n`);
  } else {
    io.out(`${formatTlcResult(result, { color: pc.isColorSupported })}\n`);
    if (o.itf && !itfPath) io.err('plumbline: no counterexample, so no ITF file was written\n');
    if (itfPath) io.out(`counterexample written as ITF to ${itfPath}\n`);
  }
  return result.ok ? 0 : 1;
}
