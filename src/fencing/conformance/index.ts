/**
 * `plumbline conform fencing`: trace validation of simulator runs of the fencing cores, then
 * state-graph replay of spec/fencing/Replay.cfg on them. `ok` iff every trace is accepted, the
 * replay has no mismatch, every spec action is covered and edge coverage is at least 0.9.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDiffs, writeItf } from '../../tla/index.ts';
import type { TraceValidationResult } from '../../tla/index.ts';
import type { ConformDriver, ConformOptions, ConformResult } from '../../conform/index.ts';
import { replayFencing } from './replay.ts';
import type { ReplayResult } from './replay.ts';
import { validateFencingTraces } from './traces.ts';
import type { GeneratedTrace } from './traces.ts';

export { replayFencing, clusterTarget, clusterConfigFromCfg, parseCfgConstants } from './replay.ts';
export type { ReplayResult } from './replay.ts';
export {
  generateTrace, randomPlan, traceClusterConfig, traceValidationSpec, validateFencingTraces,
  SIM_KEY, TRACE_NETWORK,
} from './traces.ts';
export type { GeneratedTrace, TraceRunResult } from './traces.ts';
export { checkRun, fencingRun, traceOf, clusterViewOf, ISSUER_ID } from './sim-adapter.ts';
export type {
  CoreHooks, FencingInput, FencingRun, FencingSimConfig, Journal,
} from './sim-adapter.ts';
export { replayPaths, stateKey } from './graph-replay.ts';
export type { GraphReplayResult, ReplayMismatch, ReplayTarget } from './graph-replay.ts';
export {
  SPEC_ACTIONS, SPEC_ACTION_NAMES, SPEC_PATH, REPLAY_CONFIG_PATH, TRACE_BOUNDS, TRACE_CONSTANTS,
} from './spec-binding.ts';

export const EDGE_COVERAGE_MIN = 0.9;

type Rejection = ConformResult['traces']['rejections'][number];

/** The rejections of a validation, each rejected trace written as ITF to a temp dir. */
export function rejectionsOf(v: TraceValidationResult, generated: GeneratedTrace[]): Rejection[] {
  const out: Rejection[] = [];
  let dir: string | undefined;
  for (const r of v.results) {
    const g = generated[r.trace]!;
    if (r.status === 'accepted') continue;
    if (r.status === 'error') {
      out.push({ trace: r.trace, seed: g.seed, firstRejectedStep: -1, detail: `error ${r.code}` });
      continue;
    }
    dir ??= mkdtempSync(join(tmpdir(), 'plumbline-fencing-rejected-'));
    const file = join(dir, `trace-${r.trace}-seed-${g.seed}.itf.json`);
    const states = [g.trace.init, ...g.trace.steps.map((s) => s.state)];
    const written = writeItf(file, states, { source: 'spec/fencing/Fencing.tla' });
    const where = written.ok ? `ITF ${file}` : written.error.message;
    const detail = `${r.reason}: ${describeDiffs(r.changed).slice(0, 400)}; ${where}`;
    const rejection: Rejection = { trace: r.trace, seed: g.seed,
      firstRejectedStep: r.firstRejectedStep, detail };
    if (r.action !== null) rejection.action = r.action;
    out.push(rejection);
  }
  return out;
}

function judge(v: TraceValidationResult, generated: GeneratedTrace[], rp: ReplayResult):
  string[] {
  const reasons: string[] = [];
  if (v.rejected > 0) reasons.push(`${v.rejected} of ${generated.length} traces rejected by TLC`);
  for (const e of v.errors) reasons.push(`trace validation: ${e.code}: ${e.message}`);
  const failedRuns = generated.filter((g) => g.failure !== undefined);
  for (const g of failedRuns.slice(0, 5)) reasons.push(`run seed ${g.seed}: ${g.failure}`);
  if (rp.error !== undefined) reasons.push(`replay: ${rp.error}`);
  if (rp.mismatches.length > 0) reasons.push(`replay: ${rp.mismatches.length} mismatch(es)`);
  if (rp.actionsUncovered.length > 0) {
    reasons.push(`replay: actions not covered: ${rp.actionsUncovered.join(', ')}`);
  }
  const coverage = rp.edgesTotal === 0 ? 0 : rp.edgesCovered / rp.edgesTotal;
  if (coverage < EDGE_COVERAGE_MIN) {
    reasons.push(`replay: edge coverage ${coverage.toFixed(3)} < ${EDGE_COVERAGE_MIN}`);
  }
  return reasons;
}

/** Every generated trace as ITF (`fencing-seed-<S>.itf.json`); returns the files written. */
export function writeTracesAsItf(dir: string, generated: GeneratedTrace[]): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const g of generated) {
    const file = join(dir, `fencing-seed-${g.seed}.itf.json`);
    const states = [g.trace.init, ...g.trace.steps.map((s) => s.state)];
    const written = writeItf(file, states, { source: 'spec/fencing/Fencing.tla' });
    if (!written.ok) throw new Error(`writing ${file}: ${written.error.message}`);
    files.push(file);
  }
  return files;
}

async function run(opts: ConformOptions): Promise<ConformResult> {
  const started = performance.now();
  const emit = opts.onEvent ?? (() => undefined);
  emit({ type: 'phase', protocol: 'fencing', phase: 'traces' });
  const every = Math.max(1, Math.floor(opts.runs / 20));
  const { generated, validation } = await validateFencingTraces({
    runs: opts.runs, seed: opts.seed,
    onRun: (done) => {
      if (done % every === 0 || done === opts.runs) {
        emit({ type: 'runs', protocol: 'fencing', done, total: opts.runs });
      }
      if (done === opts.runs) emit({ type: 'phase', protocol: 'fencing', phase: 'validate' });
    },
  });
  if (opts.itfDir !== undefined) writeTracesAsItf(opts.itfDir, generated);
  const rp = await replayFencing({
    onPhase: (phase) => emit({ type: 'phase', protocol: 'fencing', phase }),
  });
  const actionsSeen = new Set<string>();
  for (const g of generated) for (const s of g.trace.steps) actionsSeen.add(s.action);
  const reasons = judge(validation, generated, rp);
  return {
    protocol: 'fencing', spec: 'spec/fencing/Fencing.tla', seed: opts.seed,
    traces: {
      run: generated.length, accepted: validation.accepted, rejected: validation.rejected,
      steps: generated.reduce((n, g) => n + g.trace.steps.length, 0),
      actionsSeen: [...actionsSeen].sort(), rejections: rejectionsOf(validation, generated),
      tlcSeconds: validation.tlcSeconds,
    },
    replay: {
      config: rp.config, actionsTotal: rp.actionsTotal, actionsCovered: rp.actionsCovered,
      actionsUncovered: rp.actionsUncovered, edgesTotal: rp.edgesTotal,
      edgesCovered: rp.edgesCovered,
      edgeCoverage: rp.edgesTotal === 0 ? 0 : rp.edgesCovered / rp.edgesTotal,
      paths: rp.paths, mismatches: rp.mismatches,
    },
    seconds: (performance.now() - started) / 1000,
    ok: reasons.length === 0,
    reasons,
  };
}

export const fencingConformance: ConformDriver = { protocol: 'fencing', run };
