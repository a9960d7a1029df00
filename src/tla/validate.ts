/**
 * Trace validation: does TLC accept implementation traces as behaviours of a spec?
 *
 * One TLC run (one JVM) checks a whole batch of traces: `trace-module.ts` writes them into a
 * module whose initial state picks the trace `t` and whose cursor `l` counts consumed steps.
 * TLC runs with -deadlock, -continue and `-dump` of every distinct state. A trace t is accepted
 * exactly when some reachable state has l = Len(trace t) + 1, i.e. it was consumed entirely;
 * those states are also the invariant violations `-continue` reports, and the two are checked
 * against each other. Otherwise the largest l reached for t says how long a prefix the spec
 * allows: step l is the first step no behaviour of the spec can take (step 0 when the trace's
 * initial state is not an initial state of the spec).
 *
 * Verified on this TLC (tools 1.7.3): with -continue an invariant violation still exits 0;
 * the plain dump (`-dump F`, written to F.dump) lists every distinct state, violating ones too.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { runTlc } from './runner.ts';
import type { TlcResult } from './result.ts';
import {
  identifiersIn,
  ImplTraceSchema,
  TraceValidationSpecSchema,
  writeTraceModule,
} from './trace-module.ts';
import type { ImplTrace, TraceModuleNames, TraceValidationSpec } from './trace-module.ts';
import { diffStates } from './value-ops.ts';
import type { StateDiff } from './value-ops.ts';
import type { TlaState } from './value.ts';

export type { ImplTrace, TraceStep, TraceValidationSpec } from './trace-module.ts';

export const ValidateOptionsSchema = z.object({
  /** Traces per TLC run (one JVM each); all in one run when left out. */
  batchSize: z.number().int().min(1).optional(),
  /** Per TLC run. */
  timeoutMs: z.number().int().min(1).optional(),
  signal: z.instanceof(AbortSignal).optional(),
  javaOpts: z.array(z.string()).optional(),
  /**
   * A batch whose module text is larger than this is split in halves (SANY parses about
   * 0.3 MB/s here and TLC evaluates the trace literal once at start). Default 4 MB.
   */
  moduleBytesMax: z.number().int().min(1).optional(),
  /** Keep the temp folders (module, cfg, dump) for inspection; their paths are reported. */
  keepFiles: z.boolean().optional(),
});
export type ValidateOptions = z.infer<typeof ValidateOptionsSchema>;

/** Why a trace was rejected: its initial state, a step of a known action, an unknown action. */
export type RejectReason = 'init' | 'step' | 'unknown-action';

export type TraceVerdict =
  | { trace: number; status: 'accepted'; accepted: true; steps: number }
  | {
      trace: number;
      status: 'rejected';
      accepted: false;
      reason: RejectReason;
      /** 1-based index into `steps` of the first step the spec does not allow; 0 = init. */
      firstRejectedStep: number;
      /** That step's action; null when the initial state is rejected. */
      action: string | null;
      /** The trace's state after that step (the initial state when firstRejectedStep = 0). */
      expectedState: TlaState;
      /** The last state the spec did reach along the trace (absent when init is rejected). */
      previousState?: TlaState;
      /** What the rejected step changed, variable by variable. */
      changed: StateDiff[];
    }
  | { trace: number; status: 'error'; accepted: false; code: ValidationErrorCode };

export type ValidationErrorCode =
  | 'bad-input'
  | 'spec-unreadable'
  | 'trace-shape'
  | 'bad-model-value'
  | 'tlc-failed'
  | 'dump-unreadable'
  | 'inconsistent';

export interface ValidationError {
  code: ValidationErrorCode;
  message: string;
  /** The 0-based indices of the traces the error concerns (a whole batch for TLC errors). */
  traces?: number[];
  tlc?: Pick<TlcResult, 'outcome' | 'exitCode' | 'errors'>;
}

export interface TraceValidationResult {
  /** Every trace accepted and no error. */
  ok: boolean;
  accepted: number;
  rejected: number;
  /** One verdict per input trace, in input order; `trace` is the 0-based input index. */
  results: TraceVerdict[];
  errors: ValidationError[];
  /** Wall-clock seconds of the TLC runs, JVM start included. */
  tlcSeconds: number;
  batches: number;
  /** Distinct states TLC found, over all batches. */
  distinctStates: number;
  /** Temp folders that were kept (option keepFiles). */
  keptDirs: string[];
}

const MODULE_BYTES_MAX = 4_000_000;

interface SpecFiles {
  dir: string;
  module: string;
  tlaFiles: string[];
  takenNames: Set<string>;
}

async function readSpecFiles(specPath: string): Promise<SpecFiles | ValidationError> {
  const dir = dirname(specPath);
  try {
    const tlaFiles = (await readdir(dir)).filter((f) => f.endsWith('.tla'));
    const takenNames = new Set<string>();
    for (const f of tlaFiles) {
      for (const n of identifiersIn(await readFile(join(dir, f), 'utf8'))) takenNames.add(n);
    }
    const module = basename(specPath, '.tla');
    if (!tlaFiles.includes(`${module}.tla`)) {
      return { code: 'spec-unreadable', message: `no spec module ${specPath}` };
    }
    return { dir, module, tlaFiles, takenNames };
  } catch (e) {
    return { code: 'spec-unreadable', message: `cannot read ${dir}: ${(e as Error).message}` };
  }
}

const InputSchema = z.object({
  spec: TraceValidationSpecSchema,
  traces: z.array(ImplTraceSchema),
  opts: ValidateOptionsSchema,
});

/** Validates `traces` against `spec` with TLC; see the module comment. */
export async function validateTraces(
  spec: TraceValidationSpec,
  traces: ImplTrace[],
  opts: ValidateOptions = {},
): Promise<TraceValidationResult> {
  const result = emptyResult(traces.length);
  const input = InputSchema.safeParse({ spec, traces, opts });
  if (!input.success) return fail(result, 'bad-input', z.prettifyError(input.error));
  const files = await readSpecFiles(spec.specPath);
  if ('code' in files) return fail(result, files.code, files.message);
  const batchSize = opts.batchSize ?? Math.max(1, traces.length);
  for (let first = 0; first < traces.length; first += batchSize) {
    const indices = traces.slice(first, first + batchSize).map((_, i) => first + i);
    await runBatch(spec, files, traces, indices, opts, result);
    result.batches++;
  }
  return finish(result);
}

function emptyResult(count: number): TraceValidationResult {
  const results: TraceVerdict[] = [];
  for (let i = 0; i < count; i++) {
    results.push({ trace: i, status: 'error', accepted: false, code: 'tlc-failed' });
  }
  return {
    ok: false, accepted: 0, rejected: 0, results, errors: [], tlcSeconds: 0, batches: 0,
    distinctStates: 0, keptDirs: [],
  };
}

function fail(
  result: TraceValidationResult,
  code: ValidationErrorCode,
  message: string,
): TraceValidationResult {
  result.errors.push({ code, message });
  result.results = result.results.map((r) => ({ ...r, status: 'error', accepted: false, code }));
  return finish(result);
}

function finish(result: TraceValidationResult): TraceValidationResult {
  result.accepted = result.results.filter((r) => r.status === 'accepted').length;
  result.rejected = result.results.filter((r) => r.status === 'rejected').length;
  result.ok = result.errors.length === 0 && result.accepted === result.results.length;
  return result;
}

function batchError(
  result: TraceValidationResult,
  indices: number[],
  error: Omit<ValidationError, 'traces'>,
): void {
  result.errors.push({ ...error, traces: indices });
  for (const i of indices) {
    result.results[i] = { trace: i, status: 'error', accepted: false, code: error.code };
  }
}

async function runBatch(
  spec: TraceValidationSpec,
  files: SpecFiles,
  traces: ImplTrace[],
  indices: number[],
  opts: ValidateOptions,
  result: TraceValidationResult,
): Promise<void> {
  const batch = indices.map((i) => traces[i]!);
  const written = writeTraceModule({
    spec, specModule: files.module, traces: batch, takenNames: files.takenNames,
  });
  const moduleBytesMax = opts.moduleBytesMax ?? MODULE_BYTES_MAX;
  if (!('code' in written) && indices.length > 1 && written.moduleText.length > moduleBytesMax) {
    const half = Math.ceil(indices.length / 2);
    await runBatch(spec, files, traces, indices.slice(0, half), opts, result);
    result.batches++;
    return runBatch(spec, files, traces, indices.slice(half), opts, result);
  }
  if ('code' in written) {
    const traceIndex = written.trace === undefined ? undefined : indices[written.trace];
    const message =
      traceIndex === undefined ? written.message : `${written.message} (input trace ${traceIndex})`;
    return batchError(result, indices, { code: written.code, message });
  }
  const dir = await mkdtemp(join(tmpdir(), 'plumbline-trace-'));
  try {
    for (const f of files.tlaFiles) await copyFile(join(files.dir, f), join(dir, f));
    const specFile = join(dir, `${written.names.module}.tla`);
    const cfgFile = join(dir, `${written.names.module}.cfg`);
    await writeFile(specFile, written.moduleText);
    await writeFile(cfgFile, written.cfgText);
    const started = performance.now();
    const tlc = await runTlc({
      spec: specFile, config: cfgFile, workers: 1, checkDeadlock: false,
      continueAfterViolation: true, dump: { path: join(dir, 'states'), dot: false },
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.javaOpts === undefined ? {} : { javaOpts: opts.javaOpts }),
    });
    result.tlcSeconds += (performance.now() - started) / 1000;
    result.distinctStates += tlc.distinctStates;
    const actions = new Set(Object.keys(spec.actions));
    const batch = { names: written.names, traces, indices, actions };
    await judgeBatch(tlc, join(dir, 'states.dump'), batch, result);
  } finally {
    if (opts.keepFiles) result.keptDirs.push(dir);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** TLC's outcome for a trace-checking run that went through: `ok`, or violations seen. */
function tlcWentThrough(tlc: TlcResult): boolean {
  return tlc.outcome === 'ok' || (tlc.outcome === 'invariant' && tlc.exitCode !== null);
}

interface Batch {
  names: TraceModuleNames;
  traces: ImplTrace[];
  /** The input indices of the batch's traces; trace number t in the module is indices[t-1]. */
  indices: number[];
  actions: Set<string>;
}

async function judgeBatch(
  tlc: TlcResult,
  dumpPath: string,
  batch: Batch,
  result: TraceValidationResult,
): Promise<void> {
  const { names, traces, indices } = batch;
  if (!tlcWentThrough(tlc)) {
    const first = tlc.errors?.[0]?.message.split('\n')[0] ?? '';
    const message = `TLC ended with ${tlc.outcome} (exit ${tlc.exitCode}) ${first}`.trim();
    const tlcInfo = { outcome: tlc.outcome, exitCode: tlc.exitCode, errors: tlc.errors ?? [] };
    return batchError(result, indices, { code: 'tlc-failed', message, tlc: tlcInfo });
  }
  const reached = await readReachedCursors(dumpPath, names);
  if ('code' in reached) return batchError(result, indices, reached);
  const mismatch = checkViolations(tlc, names, indices, traces, reached);
  if (mismatch) return batchError(result, indices, mismatch);
  indices.forEach((input, k) => {
    const cursorMax = reached.get(k + 1);
    result.results[input] = verdictFor(input, traces[input]!, cursorMax, batch.actions);
  });
}

/** For each trace number t (1-based in the batch), the largest cursor value reached. */
async function readReachedCursors(
  dumpPath: string,
  names: TraceModuleNames,
): Promise<Map<number, number> | Omit<ValidationError, 'traces'>> {
  const traceLine = new RegExp(`^/\\\\ ${names.trace} = (\\d+)$`);
  const cursorLine = new RegExp(`^/\\\\ ${names.cursor} = (\\d+)$`);
  const reached = new Map<number, number>();
  let [t, l] = [0, 0];
  const flush = (): void => {
    if (t > 0 && l > 0) reached.set(t, Math.max(reached.get(t) ?? 0, l));
    [t, l] = [0, 0];
  };
  try {
    const lines = createInterface({ input: createReadStream(dumpPath), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.startsWith('State ')) flush();
      const mt = traceLine.exec(line);
      if (mt) t = Number(mt[1]);
      const ml = cursorLine.exec(line);
      if (ml) l = Number(ml[1]);
    }
    flush();
  } catch (e) {
    return { code: 'dump-unreadable', message: `TLC state dump: ${(e as Error).message}` };
  }
  return reached;
}

/** The traces the violation reports say were consumed must be those the dump says. */
function checkViolations(
  tlc: TlcResult,
  names: TraceModuleNames,
  indices: number[],
  traces: ImplTrace[],
  reached: Map<number, number>,
): Omit<ValidationError, 'traces'> | null {
  const fromDump = indices
    .map((input, k) => (reached.get(k + 1) === traces[input]!.steps.length + 1 ? k + 1 : 0))
    .filter((t) => t > 0);
  const violations = tlc.violations ?? (tlc.trace ? [{ trace: tlc.trace }] : []);
  const fromReports = new Set<number>();
  for (const v of violations) {
    const last = v.trace[v.trace.length - 1]?.state[names.trace];
    if (typeof last === 'number') fromReports.add(last);
  }
  const same =
    fromDump.length === fromReports.size && fromDump.every((t) => fromReports.has(t));
  if (same) return null;
  const message =
    `TLC's violation reports name traces [${[...fromReports].sort((a, b) => a - b)}] ` +
    `consumed, its state dump [${fromDump}]`;
  return { code: 'inconsistent', message };
}

function verdictFor(
  input: number,
  trace: ImplTrace,
  cursorMax: number | undefined,
  actions: Set<string>,
): TraceVerdict {
  const steps = trace.steps.length;
  if (cursorMax === steps + 1) return { trace: input, status: 'accepted', accepted: true, steps };
  if (cursorMax === undefined) {
    return {
      trace: input, status: 'rejected', accepted: false, reason: 'init', firstRejectedStep: 0,
      action: null, expectedState: trace.init, changed: [],
    };
  }
  const step = trace.steps[cursorMax - 1]!;
  const previousState = cursorMax === 1 ? trace.init : trace.steps[cursorMax - 2]!.state;
  return {
    trace: input, status: 'rejected', accepted: false,
    reason: actions.has(step.action) ? 'step' : 'unknown-action', firstRejectedStep: cursorMax,
    action: step.action, expectedState: step.state, previousState,
    changed: diffStates(previousState, step.state),
  };
}
