/**
 * A short human summary of a TLC run for the CLI: the outcome, the state counts, what was
 * violated, the errors with their places, and the counterexample as numbered steps showing the
 * action and only the variables that changed.
 */
import pc from 'picocolors';
import type { TlcResult, TlcTraceStep } from './result.ts';
import type { TlaValue } from './value.ts';

export interface FormatOptions {
  color?: boolean;
  /** Longest printed value before it is cut with "…". */
  valueCharsMax?: number;
}

const VALUE_CHARS_MAX_DEFAULT = 200;

/** A value as TLC would print it (display only; `value-ops` has the printer for TLA+ source). */
export function formatTlaValue(v: TlaValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `<<${v.map(formatTlaValue).join(', ')}>>`;
  if ('#bigint' in v && typeof v['#bigint'] === 'string') return v['#bigint'];
  if ('#model' in v && typeof v['#model'] === 'string') return v['#model'];
  if ('#set' in v && Array.isArray(v['#set'])) {
    return `{${v['#set'].map(formatTlaValue).join(', ')}}`;
  }
  if ('#map' in v && Array.isArray(v['#map'])) {
    const pairs = v['#map'] as [TlaValue, TlaValue][];
    if (pairs.length === 0) return '<<>>';
    const shown = pairs.map(([k, x]) => `${formatTlaValue(k)} :> ${formatTlaValue(x)}`);
    return `(${shown.join(' @@ ')})`;
  }
  const fields = Object.entries(v as Record<string, TlaValue>);
  if (fields.length === 0) return '[]';
  return `[${fields.map(([k, x]) => `${k} |-> ${formatTlaValue(x)}`).join(', ')}]`;
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

interface Paint { bold(s: string): string; red(s: string): string; green(s: string): string;
  dim(s: string): string; yellow(s: string): string }

function painter(color: boolean): Paint {
  const c = pc.createColors(color);
  return { bold: c.bold, red: c.red, green: c.green, dim: c.dim, yellow: c.yellow };
}

const HEADLINES: Record<TlcResult['outcome'], string> = {
  ok: 'no violation found',
  invariant: 'invariant violated',
  property: 'property violated',
  deadlock: 'deadlock reached',
  assert: 'assertion failed',
  'parse-error': 'the spec does not parse',
  'config-error': 'the config is invalid',
  error: 'TLC failed',
};

function headline(r: TlcResult, p: Paint): string {
  const what = HEADLINES[r.outcome] + (r.violated ? `: ${r.violated}` : '');
  const mark = r.ok ? p.green('✓') : p.red('✗');
  const stats = `${r.distinctStates} distinct / ${r.generatedStates} generated states, depth ` +
    `${r.depth}, ${r.seconds.toFixed(1)} s, ${r.exitCode < 0 ? 'killed' : `exit ${r.exitCode}`}`;
  return `${mark} ${p.bold(`TLC: ${what}`)}\n  ${p.dim(stats)}`;
}

function stepLines(step: TlcTraceStep, prev: TlcTraceStep | undefined, max: number, p: Paint):
  string[] {
  const where = step.location
    ? p.dim(` (line ${step.location.line}, col ${step.location.column} of ${step.location.module})`)
    : '';
  const lines = [`  ${step.index}. ${p.bold(step.action ?? 'Initial state')}${where}`];
  for (const [name, v] of Object.entries(step.state)) {
    const before = prev?.state[name];
    const text = formatTlaValue(v);
    if (before !== undefined && formatTlaValue(before) === text) continue;
    lines.push(`       ${name} = ${cut(text, max)}`);
  }
  if (prev && lines.length === 1) lines.push(p.dim('       (no variable changed)'));
  return lines;
}

export function formatTlcResult(r: TlcResult, opts: FormatOptions = {}): string {
  const p = painter(opts.color ?? false);
  const max = opts.valueCharsMax ?? VALUE_CHARS_MAX_DEFAULT;
  const out = [headline(r, p)];
  for (const e of r.errors ?? []) {
    const at = e.line !== undefined ? `:${e.line}:${e.column ?? 1}` : '';
    const where = e.file ? `${e.file}${at}: ` : '';
    out.push(`  ${p.red('error')} ${where}${e.message.split('\n').join('\n    ')}`);
  }
  for (const w of r.warnings ?? []) out.push(`  ${p.yellow('warning')} ${w.split('\n')[0]}`);
  const trace = r.trace ?? [];
  if (trace.length > 0) {
    out.push(`  counterexample (${trace.length} states):`);
    trace.forEach((step, i) => out.push(...stepLines(step, trace[i - 1], max, p)));
    if (r.loopsBackTo !== undefined) out.push(`  … then back to state ${r.loopsBackTo} (a loop)`);
    if (r.stutters) out.push('  … then stutters forever (nothing changes)');
  }
  const more = (r.violations?.length ?? 0) - 1;
  if (more > 0) out.push(p.dim(`  and ${more} more violation(s) (see --json)`));
  return out.join('\n');
}
