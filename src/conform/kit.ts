/**
 * The conformance kit every protocol's driver uses: given a binding (the spec's variables and
 * action formulas, a trace generator driving the implementation in the simulator, and the
 * implementation as a replay target), it runs both checks and judges them:
 *  1. trace validation: N seeded runs, each `(action, specState)` per step, checked by TLC
 *     against the spec (all traces of a batch in one JVM);
 *  2. state-graph replay: TLC dumps the replay config's graph with action labels, paths that
 *     cover every edge drive the implementation, `specState` compared at every step.
 * A protocol with several specs (consensus-txn: GroupPaxos and CrossGroupTxn) runs the kit once
 * per spec and returns one result each.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coverEdges, describeDiffs, readStateGraph, runTlc, validateTraces, writeItf,
} from '../tla/index.ts';
import type {
  ImplTrace, StateGraph, TraceValidationResult, TraceValidationSpec,
} from '../tla/index.ts';
import { replayPaths } from './graph-replay.ts';
import type { GraphReplayResult, ReplayMismatch, ReplayTarget } from './graph-replay.ts';
import { replayPathsFromEveryInit } from './multi-init.ts';
import type { ConformOptions, ConformResult } from './index.ts';

/** Edge coverage below this fails a conformance run. */
export const EDGE_COVERAGE_MIN = 0.9;

/** What ties an implementation to one spec for the two checks. */
export interface SpecBinding {
  /** Protocol name as the CLI knows it, e.g. `consensus-txn`. */
  protocol: string;
  /** Repo-relative path of the spec, for reports, e.g. `spec/fencing/Fencing.tla`. */
  specLabel: string;
  /** Absolute path of the spec module. */
  specPath: string;
  /** Absolute path and repo-relative label of the small config whose graph is replayed. */
  replayConfigPath: string;
  replayConfigLabel: string;
  /** The spec's variables, in the order of its VARIABLES declaration. */
  variables: readonly string[];
  /** Every action of Next with its parameters quantified, e.g. `\E s \in S : Crash(s)`. */
  actions: Readonly<Record<string, string>>;
  /** The CONSTANTS block of the trace validation module (bounds admitting every run). */
  traceConstants: string;
}

/** One simulator run recorded as a trace. */
export interface GeneratedTrace {
  seed: number;
  trace: ImplTrace;
  /** A failure of the run itself (an invariant broken in the code), if any. */
  failure?: string;
}

export interface ConformBinding<C, A> {
  spec: SpecBinding;
  /** Runs the implementation in the simulator with a plan drawn from `seed` alone. */
  generateTrace(seed: number): GeneratedTrace;
  /**
   * The implementation as a replay target, configured from the replay cfg's text; one target
   * per initial state when the spec's Init has several.
   */
  replayTarget(replayCfgText: string): ReplayTarget<C, A> | readonly ReplayTarget<C, A>[];
}

type Rejection = ConformResult['traces']['rejections'][number];

function statesOf(t: ImplTrace) {
  return [t.init, ...t.steps.map((s) => s.state)];
}

export function traceValidationSpecOf(spec: SpecBinding): TraceValidationSpec {
  return {
    specPath: spec.specPath, constants: spec.traceConstants,
    variables: [...spec.variables], actions: { ...spec.actions },
  };
}

/** The rejections of a validation, each rejected trace written as ITF to a temp dir. */
export function rejectionsOf(spec: SpecBinding, v: TraceValidationResult,
  generated: GeneratedTrace[]): Rejection[] {
  const out: Rejection[] = [];
  let dir: string | undefined;
  for (const r of v.results) {
    const g = generated[r.trace]!;
    if (r.status === 'accepted') continue;
    if (r.status === 'error') {
      out.push({ trace: r.trace, seed: g.seed, firstRejectedStep: -1, detail: `error ${r.code}` });
      continue;
    }
    dir ??= mkdtempSync(join(tmpdir(), `plumbline-${spec.protocol}-rejected-`));
    const file = join(dir, `trace-${r.trace}-seed-${g.seed}.itf.json`);
    const written = writeItf(file, statesOf(g.trace), { source: spec.specLabel });
    const where = written.ok ? `ITF ${file}` : written.error.message;
    const detail = `${r.reason}: ${describeDiffs(r.changed).slice(0, 400)}; ${where}`;
    const rejection: Rejection = { trace: r.trace, seed: g.seed,
      firstRejectedStep: r.firstRejectedStep, detail };
    if (r.action !== null) rejection.action = r.action;
    out.push(rejection);
  }
  return out;
}

/** Every generated trace as ITF (`<protocol>-seed-<S>.itf.json`); returns the files written. */
export function writeTracesAsItf(spec: SpecBinding, dir: string,
  generated: GeneratedTrace[]): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const g of generated) {
    const file = join(dir, `${spec.protocol}-seed-${g.seed}.itf.json`);
    const written = writeItf(file, statesOf(g.trace), { source: spec.specLabel });
    if (!written.ok) throw new Error(`writing ${file}: ${written.error.message}`);
    files.push(file);
  }
  return files;
}

export interface TraceRunResult {
  generated: GeneratedTrace[];
  validation: TraceValidationResult;
}

/** Generates `runs` traces (run i uses seed + i) and validates them with TLC. */
export async function validateBindingTraces<C, A>(binding: ConformBinding<C, A>, opts: {
  runs: number;
  seed: number;
  onRun?: (done: number) => void;
  batchSize?: number;
}): Promise<TraceRunResult> {
  const generated: GeneratedTrace[] = [];
  for (let i = 0; i < opts.runs; i++) {
    generated.push(binding.generateTrace((opts.seed + i) >>> 0));
    opts.onRun?.(i + 1);
  }
  const validation = await validateTraces(traceValidationSpecOf(binding.spec),
    generated.map((g) => g.trace),
    opts.batchSize === undefined ? {} : { batchSize: opts.batchSize });
  return { generated, validation };
}

export interface ReplayResult {
  config: string;
  ok: boolean;
  error?: string;
  distinctStates: number;
  tlcSeconds: number;
  actionsTotal: number;
  actionsCovered: number;
  actionsUncovered: string[];
  edgesTotal: number;
  edgesCovered: number;
  paths: number;
  steps: number;
  mismatches: ReplayMismatch[];
}

type ConstValue = number | string[];

/** The CONSTANTS of a cfg: `N = 2` and `S = {a, b}` forms (model values map to themselves). */
export function parseCfgConstants(cfg: string): Record<string, ConstValue> {
  const out: Record<string, ConstValue> = {};
  const text = cfg.replace(/\\\*.*$/gm, '');
  for (const m of text.matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*(\{[^}]*\}|\d+)\s*$/gm)) {
    const raw = m[2]!;
    out[m[1]!] = raw.startsWith('{')
      ? raw.slice(1, -1).split(',').map((x) => x.trim()).filter((x) => x.length > 0)
      : Number(raw);
  }
  return out;
}

/** Typed readers over `parseCfgConstants`; a missing or mistyped constant is an assertion. */
export function cfgReader(cfg: string): { num(k: string): number; ids(k: string): string[];
  has(k: string): boolean } {
  const c = parseCfgConstants(cfg);
  return {
    num: (k) => {
      const v = c[k];
      if (typeof v !== 'number') throw new Error(`assertion: cfg constant ${k} is no number`);
      return v;
    },
    ids: (k) => {
      const v = c[k];
      if (!Array.isArray(v)) throw new Error(`assertion: cfg constant ${k} is no set`);
      return v;
    },
    has: (k) => c[k] !== undefined,
  };
}

function isTargetList<C, A>(t: ReplayTarget<C, A> | readonly ReplayTarget<C, A>[]):
  t is readonly ReplayTarget<C, A>[] {
  return Array.isArray(t);
}

async function dumpGraph(spec: SpecBinding, dir: string): Promise<
  { ok: true; graph: StateGraph; distinctStates: number; seconds: number } |
  { ok: false; error: string }> {
  const dumpPath = join(dir, 'replay');
  const tlc = await runTlc({
    spec: spec.specPath, config: spec.replayConfigPath, workers: 1, checkDeadlock: false,
    dump: { path: dumpPath, dot: true },
  });
  if (tlc.outcome !== 'ok') {
    const first = tlc.errors?.[0]?.message.split('\n')[0] ?? '';
    const error = `TLC on ${spec.replayConfigLabel}: ${tlc.outcome} (exit ${tlc.exitCode}) ${first}`;
    return { ok: false, error };
  }
  const g = await readStateGraph(tlc.dumpFile ?? `${dumpPath}.dot`, { states: 'lazy' });
  if (!g.ok) return { ok: false, error: `state graph: ${g.error.message}` };
  return { ok: true, graph: g.graph, distinctStates: tlc.distinctStates, seconds: tlc.seconds };
}

function emptyReplay(spec: SpecBinding, error: string): ReplayResult {
  const names = Object.keys(spec.actions);
  return {
    config: spec.replayConfigLabel, ok: false, error, distinctStates: 0, tlcSeconds: 0,
    actionsTotal: names.length, actionsCovered: 0, actionsUncovered: names, edgesTotal: 0,
    edgesCovered: 0, paths: 0, steps: 0, mismatches: [],
  };
}

/** Runs TLC on the replay config, covers the graph's edges and replays every path. */
export async function replayBinding<C, A>(binding: ConformBinding<C, A>,
  opts: { onPhase?: (p: 'dump' | 'replay') => void } = {}): Promise<ReplayResult> {
  const spec = binding.spec;
  const dir = await mkdtemp(join(tmpdir(), `plumbline-${spec.protocol}-replay-`));
  try {
    opts.onPhase?.('dump');
    const dumped = await dumpGraph(spec, dir);
    if (!dumped.ok) return emptyReplay(spec, dumped.error);
    opts.onPhase?.('replay');
    const target = binding.replayTarget(await readFile(spec.replayConfigPath, 'utf8'));
    const cover = coverEdges(dumped.graph);
    let r: GraphReplayResult;
    if (isTargetList(target)) {
      const multi = replayPathsFromEveryInit(target, dumped.graph, cover.paths);
      if (!multi.ok) return emptyReplay(spec, multi.error);
      r = multi.result;
    } else {
      r = replayPaths(target, dumped.graph, cover.paths);
    }
    const names = Object.keys(spec.actions);
    const seen = new Set(r.actionsFollowed);
    const uncovered = names.filter((a) => !seen.has(a));
    return {
      config: spec.replayConfigLabel, ok: r.mismatches.length === 0,
      distinctStates: dumped.distinctStates, tlcSeconds: dumped.seconds,
      actionsTotal: names.length, actionsCovered: names.length - uncovered.length,
      actionsUncovered: uncovered, edgesTotal: cover.stats.edgesTotal,
      edgesCovered: r.edgesFollowed, paths: r.paths, steps: r.steps, mismatches: r.mismatches,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Why a run fails; empty when it passes. */
export function judge(v: TraceValidationResult, generated: GeneratedTrace[], rp: ReplayResult):
  string[] {
  const reasons: string[] = [];
  if (v.rejected > 0) reasons.push(`${v.rejected} of ${generated.length} traces rejected by TLC`);
  for (const e of v.errors) reasons.push(`trace validation: ${e.code}: ${e.message}`);
  const failedRuns = generated.filter((g) => g.failure !== undefined);
  if (failedRuns.length > 0) reasons.push(`${failedRuns.length} simulator run(s) broke an invariant`);
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

/** Both checks for one spec, with progress events, judged into one `ConformResult`. */
export async function runConformance<C, A>(binding: ConformBinding<C, A>, opts: ConformOptions):
  Promise<ConformResult> {
  const started = performance.now();
  const protocol = binding.spec.protocol;
  const emit = opts.onEvent ?? (() => undefined);
  emit({ type: 'phase', protocol, phase: 'traces' });
  const every = Math.max(1, Math.floor(opts.runs / 20));
  const { generated, validation } = await validateBindingTraces(binding, {
    runs: opts.runs, seed: opts.seed,
    onRun: (done) => {
      if (done % every === 0 || done === opts.runs) {
        emit({ type: 'runs', protocol, done, total: opts.runs });
      }
      if (done === opts.runs) emit({ type: 'phase', protocol, phase: 'validate' });
    },
  });
  if (opts.itfDir !== undefined) writeTracesAsItf(binding.spec, opts.itfDir, generated);
  const rp = await replayBinding(binding, { onPhase: (phase) => emit({ type: 'phase', protocol, phase }) });
  const actionsSeen = new Set<string>();
  for (const g of generated) for (const s of g.trace.steps) actionsSeen.add(s.action);
  const reasons = judge(validation, generated, rp);
  return {
    protocol, spec: binding.spec.specLabel, seed: opts.seed,
    traces: {
      run: generated.length, accepted: validation.accepted, rejected: validation.rejected,
      steps: generated.reduce((n, g) => n + g.trace.steps.length, 0),
      actionsSeen: [...actionsSeen].sort(),
      rejections: rejectionsOf(binding.spec, validation, generated),
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
