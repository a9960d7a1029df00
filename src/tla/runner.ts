/**
 * Running TLC: spawn the JVM with `-tool`, stream and decode its messages, and turn them into a
 * `TlcResult`. One run, one JVM, one temporary metadir (removed afterwards).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { findTlcJar } from './jar.ts';
import { tryParseTlaState } from './parse-value.ts';
import type {
  TlcError, TlcOutcome, TlcProgress, TlcResult, TlcTraceStep, TlcViolation,
} from './result.ts';
import {
  decodeBackToState, decodeNestedPosition, decodeProgress, decodeSanyErrors, decodeTraceState,
  Severity, ToolMessageSplitter, type ToolItem,
} from './tool-messages.ts';

export interface TlcRunOptions {
  spec: string;                      // path to Spec.tla
  config?: string;                   // path to .cfg; default: Spec.cfg beside the spec
  workers?: number;                  // default 1
  checkDeadlock?: boolean;           // default true; false passes -deadlock
  continueAfterViolation?: boolean;  // -continue: collect every violation
  dump?: { path: string; dot: boolean };  // -dump [dot,actionlabels] path
  depth?: number; simulate?: boolean; seed?: number;
  extraArgs?: string[]; javaOpts?: string[];  // e.g. ['-Xmx4g']
  timeoutMs?: number; signal?: AbortSignal;
  onProgress?: (p: TlcProgress) => void;  // streamed while TLC runs
}

/** After SIGTERM, the JVM gets this long to exit before SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** `TlcResult.exitCode` when TLC was killed or never ran. */
export const NO_EXIT_CODE = -1;
/** Lines kept from stderr and from text outside messages (SANY output), to bound memory. */
const TEXT_LINES_MAX = 2_000;

/** Exit codes TLC documents (tlc2.output.EC.ExitStatus). */
function outcomeOfExitCode(code: number): TlcOutcome {
  switch (code) {
    case 0: return 'ok';
    case 11: return 'deadlock';
    case 12: return 'invariant';
    case 13: return 'property';
    case 14: return 'assert';
    case 150: return 'parse-error';
    case 151: return 'config-error';
    default: return 'error';
  }
}

/** Messages that open a counterexample, and what they mean. */
const VIOLATION_CODES: ReadonlyMap<number, TlcOutcome> = new Map<number, TlcOutcome>([
  [2110, 'invariant'], [2107, 'invariant'], [2112, 'property'], [2116, 'property'],
  [2114, 'deadlock'], [2132, 'assert'],
]);
/** Config-file trouble that TLC reports through a generic exception (exit 255). */
const CONFIG_ERROR_CODES = new Set([5001]);
/** Informational or header messages with nothing to keep. */
const IGNORED_CODES = new Set([2121, 2264, 2401]);

function violatedName(code: number, text: string): string | undefined {
  const m = code === 2112
    ? /^Action property (\S+) is violated/.exec(text)
    : /^Invariant (\S+) is violated/.exec(text);
  return m ? m[1] : undefined;
}

/** Accumulates decoded TLC output into a result; pure apart from the progress callback. */
export class TlcOutputCollector {
  readonly violations: TlcViolation[] = [];
  readonly errors: TlcError[] = [];
  readonly warnings: string[] = [];
  private readonly textLines: string[] = [];
  private readonly modulePaths = new Map<string, string>();
  private current: TlcViolation | undefined;
  private generated = 0;
  private distinct = 0;
  private depth: number | undefined;
  private progressDepth = 0;
  private configError = false;

  constructor(private readonly onProgress?: (p: TlcProgress) => void) {}

  accept(item: ToolItem): void {
    if (item.kind === 'text') {
      this.text(item.line);
      return;
    }
    const { code, severity, text } = item;
    const progress = decodeProgress(code, text);
    if (progress) {
      this.progress(progress);
      return;
    }
    if (CONFIG_ERROR_CODES.has(code)) this.configError = true;
    if (IGNORED_CODES.has(code)) return;
    const violation = VIOLATION_CODES.get(code);
    if (violation !== undefined) {
      this.openViolation(violation, code, text);
      return;
    }
    if (this.traceMessage(code, text)) return;
    if (code === 2194) {
      const m = /is (\d+)\./.exec(text);
      if (m) this.depth = Number(m[1]);
      return;
    }
    if (code === 2103) {
      this.locateLastError(text);
      return;
    }
    if (severity === Severity.warning) this.warnings.push(text);
    if (severity === Severity.error || severity === Severity.bug) {
      this.errors.push({ code, message: text });
      // An evaluation error is followed by the behaviour that led to it.
      this.current = { outcome: 'error', trace: [] };
      this.violations.push(this.current);
    }
  }

  private text(line: string): void {
    const parsing = /^Parsing file (.+\.tla)$/.exec(line);
    if (parsing) {
      const path = parsing[1]!;
      this.modulePaths.set(basename(path, '.tla'), path);
    }
    if (this.textLines.length < TEXT_LINES_MAX) this.textLines.push(line);
  }

  private progress(p: TlcProgress): void {
    if (p.kind === 'final' || p.kind === 'progress') {
      this.generated = p.generatedStates;
      this.distinct = p.distinctStates;
      if (p.depth !== undefined && p.depth > 0) this.progressDepth = p.depth;
    } else if (this.distinct === 0) {
      this.distinct = p.distinctStates;
      this.generated = p.generatedStates;
    }
    this.onProgress?.(p);
  }

  private openViolation(outcome: TlcOutcome, code: number, text: string): void {
    const v: TlcViolation = { outcome, trace: [] };
    const name = violatedName(code, text);
    if (name !== undefined) v.violated = name;
    this.violations.push(v);
    this.current = v;
    if (code === 2132 || code === 2107) {
      const nl = text.indexOf('\n');
      const head = nl < 0 ? text : text.slice(0, nl);
      if (code === 2132) this.errors.push({ code, message: text });
      if (code === 2107 && nl >= 0) this.addStep(v, 1, null, undefined, text.slice(nl + 1), head);
    }
  }

  /** 2217 (a state), 2218 (stuttering), 2122 (back to state); true when it was one of them. */
  private traceMessage(code: number, text: string): boolean {
    if (code !== 2217 && code !== 2218 && code !== 2122) return false;
    const v = this.current ?? { outcome: 'error' as const, trace: [] };
    if (this.current === undefined) {
      this.current = v;
      this.violations.push(v);
    }
    if (code === 2218) v.stutters = true;
    if (code === 2122) {
      const back = decodeBackToState(text);
      if (back !== undefined) v.loopsBackTo = back;
    }
    if (code === 2217) {
      const h = decodeTraceState(text);
      if (!h) this.warnings.push(`unreadable trace state: ${text.split('\n')[0]}`);
      else this.addStep(v, h.index, h.action, h.location, h.stateText, `state ${h.index}`);
    }
    return true;
  }

  private addStep(
    v: TlcViolation, index: number, action: string | null,
    location: TlcTraceStep['location'], stateText: string, what: string,
  ): void {
    const parsed = tryParseTlaState(stateText);
    if (!parsed.ok) this.warnings.push(`${what}: cannot read TLC's value: ${parsed.error.message}`);
    const step: TlcTraceStep = { index, action, state: parsed.ok ? parsed.value : {} };
    if (location) step.location = location;
    v.trace.push(step);
  }

  private locateLastError(text: string): void {
    const e = this.errors.at(-1);
    const pos = decodeNestedPosition(text);
    if (!e || !pos || e.line !== undefined) return;
    e.file = this.fileOf(pos.module);
    e.line = pos.line;
    e.column = pos.column;
  }

  private fileOf(module: string): string {
    return this.modulePaths.get(module) ?? `${module}.tla`;
  }

  /** The result once TLC has exited (`exitCode` NO_EXIT_CODE: killed or never started). */
  finish(exitCode: number, seconds: number, killedBecause?: string): TlcResult {
    const errors = [...this.sanyErrors(), ...this.errors];
    const violations = this.violations.filter((v) => v.outcome !== 'error' || v.trace.length > 0);
    let outcome: TlcOutcome = exitCode === NO_EXIT_CODE ? 'error' : outcomeOfExitCode(exitCode);
    if (killedBecause !== undefined) errors.unshift({ message: killedBecause });
    else if (outcome === 'ok' && violations.length > 0) outcome = violations[0]!.outcome;
    else if (outcome === 'error' && this.configError) outcome = 'config-error';
    if (outcome !== 'ok' && errors.length === 0 && violations.length === 0) {
      errors.push({ message: `TLC exited with code ${exitCode} and no message` });
    }
    const r: TlcResult = {
      ok: outcome === 'ok', outcome, exitCode, distinctStates: this.distinct,
      generatedStates: this.generated, depth: this.depth ?? this.progressDepth, seconds,
    };
    const first = violations[0];
    if (first) {
      if (first.violated !== undefined) r.violated = first.violated;
      r.trace = first.trace;
      if (first.loopsBackTo !== undefined) r.loopsBackTo = first.loopsBackTo;
      if (first.stutters) r.stutters = true;
      r.violations = violations;
    }
    if (errors.length > 0) r.errors = errors;
    if (this.warnings.length > 0) r.warnings = [...this.warnings];
    return r;
  }

  private sanyErrors(): TlcError[] {
    return decodeSanyErrors(this.textLines).map((e) => {
      const out: TlcError = { message: e.message };
      if (e.module !== undefined) out.file = this.fileOf(e.module);
      if (e.line !== undefined) out.line = e.line;
      if (e.column !== undefined) out.column = e.column;
      return out;
    });
  }

  /** Lines printed outside tool messages (SANY's output), for diagnostics. */
  get outsideText(): readonly string[] {
    return this.textLines;
  }
}

/** The path TLC writes a dump to: dot dumps get `.dot` appended unless already there. */
export function dumpFileOf(dump: { path: string; dot: boolean }): string {
  const p = resolve(dump.path);
  return dump.dot && !p.endsWith('.dot') ? `${p}.dot` : p;
}

export function tlcArgs(o: TlcRunOptions, jar: string, metadir: string, config: string): string[] {
  const args = ['-XX:+UseParallelGC', ...(o.javaOpts ?? []), '-Duser.language=en',
    '-Duser.country=US', '-cp', jar, 'tlc2.TLC', '-tool',
    '-workers', String(o.workers ?? 1), '-metadir', metadir, '-config', config];
  if (o.checkDeadlock === false) args.push('-deadlock');
  if (o.continueAfterViolation) args.push('-continue');
  if (o.dump) {
    args.push('-dump');
    if (o.dump.dot) args.push('dot,actionlabels');
    args.push(resolve(o.dump.path));
  }
  if (o.simulate) args.push('-simulate');
  if (o.depth !== undefined) args.push('-depth', String(o.depth));
  if (o.seed !== undefined) args.push('-seed', String(o.seed));
  args.push(...(o.extraArgs ?? []), basename(o.spec));
  return args;
}

function setupFailure(outcome: TlcOutcome, message: string): TlcResult {
  return { ok: false, outcome, exitCode: NO_EXIT_CODE, distinctStates: 0, generatedStates: 0,
    depth: 0, seconds: 0, errors: [{ message }] };
}

/** Run TLC on `opts.spec` and report what it found. Never throws for TLC's own failures. */
export async function runTlc(opts: TlcRunOptions): Promise<TlcResult> {
  const spec = resolve(opts.spec);
  const config = opts.config
    ? resolve(opts.config)
    : join(dirname(spec), `${basename(spec, '.tla')}.cfg`);
  if (!existsSync(spec)) return setupFailure('parse-error', `spec file not found: ${spec}`);
  if (!existsSync(config)) return setupFailure('config-error', `config file not found: ${config}`);
  const found = findTlcJar();
  if (!found.ok) return setupFailure('error', `${found.error.code}: ${found.error.message}`);
  const metadir = await mkdtemp(join(tmpdir(), 'plumbline-tlc-'));
  try {
    const r = await spawnTlc(opts, tlcArgs(opts, found.jar, metadir, config), dirname(spec));
    if (opts.dump) r.dumpFile = dumpFileOf(opts.dump);
    return r;
  } finally {
    await rm(metadir, { recursive: true, force: true });
  }
}

function spawnTlc(opts: TlcRunOptions, args: string[], cwd: string): Promise<TlcResult> {
  const startMs = performance.now();
  const collector = new TlcOutputCollector(opts.onProgress);
  const splitter = new ToolMessageSplitter();
  const stderr: string[] = [];
  let killedBecause: string | undefined;
  return new Promise((resolveRun) => {
    const child = spawn('java', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = (why: string): void => {
      if (killedBecause !== undefined || child.exitCode !== null) return;
      killedBecause = why;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = opts.timeoutMs === undefined ? undefined
      : setTimeout(() => kill(`TLC timed out after ${opts.timeoutMs} ms and was killed`),
        opts.timeoutMs);
    const onAbort = (): void => kill('TLC was aborted and killed');
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const item of splitter.push(chunk)) collector.accept(item);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < TEXT_LINES_MAX) stderr.push(chunk);
    });
    let spawnError: Error | undefined;
    child.on('error', (e) => { spawnError = e; });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      for (const item of splitter.end()) collector.accept(item);
      const seconds = (performance.now() - startMs) / 1000;
      const why = killedBecause ??
        (spawnError ? `cannot run java: ${spawnError.message}` : undefined);
      const r = collector.finish(
        killedBecause || spawnError ? NO_EXIT_CODE : code ?? NO_EXIT_CODE, seconds, why);
      addStderr(r, stderr.join(''));
      resolveRun(r);
    });
  });
}

/** JVM-level failures (exceptions, bad arguments) only show on stderr. */
function addStderr(r: TlcResult, text: string): void {
  const trimmed = text.trim();
  if (trimmed === '' || r.ok) return;
  const errors = r.errors ?? [];
  const generic = errors.length === 0 || errors.every((e) => /no message$/.test(e.message));
  if (generic) r.errors = [{ message: trimmed.split('\n').slice(0, 20).join('\n') }];
  else (r.warnings ??= []).push(`stderr: ${trimmed.split('\n').slice(0, 5).join('\n')}`);
}
