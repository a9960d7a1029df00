/**
 * `plumbline check`: TLC on every model config of each protocol, and on every bug variant, which
 * must be reported violated with the property its manifest names. A bug variant that TLC passes
 * fails the check: a property that no variant violates is unproven to bite.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { z } from 'zod';
import {
  type ProtocolName, REPO_ROOT, isManifestError, readBugManifest, readCheckManifest, specDir,
} from '../protocols.ts';
import { runTlc } from '../tla/runner.ts';
import { TlcOutcomeSchema, type TlcProgress, type TlcResult } from '../tla/result.ts';

export const CheckItemSchema = z.object({
  protocol: z.string(),
  spec: z.string(),
  config: z.string(),
  kind: z.enum(['model', 'bug']),
  bug: z.number().int().optional(),
  description: z.string().optional(),
  expected: z.string().optional(),
  outcome: TlcOutcomeSchema,
  violated: z.string().optional(),
  exitCode: z.number().int(),
  distinctStates: z.number(),
  generatedStates: z.number(),
  depth: z.number(),
  seconds: z.number(),
  minDistinctStates: z.number().optional(),
  ok: z.boolean(),
  reason: z.string().optional(),
});
export type CheckItem = z.infer<typeof CheckItemSchema>;

export const CheckReportSchema = z.object({
  ok: z.boolean(),
  results: z.array(CheckItemSchema),
  errors: z.array(z.object({ protocol: z.string(), code: z.string(), message: z.string() })),
});
export type CheckReport = z.infer<typeof CheckReportSchema>;

export type CheckEvent =
  | { type: 'start'; protocol: string; spec: string; config: string; kind: 'model' | 'bug' }
  | { type: 'progress'; config: string; progress: TlcProgress }
  | { type: 'done'; item: CheckItem };

export interface CheckOptions {
  protocols: ProtocolName[];
  deep?: boolean;
  /** Only the bug variants, or only the models. */
  only?: 'models' | 'bugs';
  onEvent?: (e: CheckEvent) => void;
  timeoutMs?: number;
}

interface Job {
  protocol: ProtocolName; specPath: string; configPath: string; kind: 'model' | 'bug';
  checkDeadlock: boolean; workers: number; bug?: number; description?: string;
  expected?: string; minDistinctStates?: number;
}

/** The PROPERTY / PROPERTIES and INVARIANT names a .cfg declares. */
export function declaredNames(cfgText: string, keyword: 'PROPERTY' | 'INVARIANT'): string[] {
  const names: string[] = [];
  const lines = cfgText.replace(/\\\*.*$/gm, '').split('\n');
  let inBlock = false;
  for (const line of lines) {
    const m = /^\s*([A-Z_]+)\b(.*)$/.exec(line);
    if (m && /^[A-Z_]+$/.test(m[1] ?? '') && isCfgKeyword(m[1] ?? '')) {
      inBlock = m[1] === keyword || m[1] === `${keyword}S`;
      if (inBlock) names.push(...words(m[2] ?? ''));
    } else if (inBlock) {
      names.push(...words(line));
    }
  }
  return names;
}
const CFG_KEYWORDS = ['CONSTANT', 'CONSTANTS', 'INIT', 'NEXT', 'SPECIFICATION', 'INVARIANT',
  'INVARIANTS', 'PROPERTY', 'PROPERTIES', 'CONSTRAINT', 'CONSTRAINTS', 'ACTION_CONSTRAINT',
  'ACTION_CONSTRAINTS', 'SYMMETRY', 'VIEW', 'CHECK_DEADLOCK'];
function isCfgKeyword(w: string): boolean {
  return CFG_KEYWORDS.includes(w);
}
function words(s: string): string[] {
  return s.split(/[\s,]+/).filter((w) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(w));
}

function jobsFor(protocol: ProtocolName, opts: CheckOptions):
  Job[] | { code: string; message: string } {
  const manifest = readCheckManifest(protocol);
  if (isManifestError(manifest)) return manifest;
  const dir = specDir(protocol);
  const cpus = Math.max(1, availableParallelism());
  const jobs: Job[] = [];
  if (opts.only !== 'bugs') {
    for (const m of manifest.models) {
      if (m.deep && !opts.deep) continue;
      jobs.push({
        protocol, specPath: join(dir, m.spec), configPath: join(dir, m.config), kind: 'model',
        checkDeadlock: m.checkDeadlock, workers: m.workers ?? cpus,
        minDistinctStates: m.minDistinctStates,
      });
    }
  }
  if (manifest.bugs && opts.only !== 'models') {
    const bugs = readBugManifest(protocol, manifest.bugs);
    if (isManifestError(bugs)) return bugs;
    const bugDir = join(dir, manifest.bugs, '..');
    for (const b of bugs) {
      jobs.push({
        protocol, specPath: join(bugDir, b.module), configPath: join(bugDir, b.config),
        kind: 'bug', checkDeadlock: b.checkDeadlock, workers: 1, bug: b.bug,
        description: b.description, expected: b.expected,
      });
    }
  }
  return jobs;
}

/** The name of what TLC found violated, filling in the one property a config declares when
 *  TLC reports "Temporal properties were violated" without naming it. */
function violatedName(r: TlcResult, configPath: string): string | undefined {
  if (r.violated) return r.violated;
  if (r.outcome === 'deadlock') return 'Deadlock';
  if (r.outcome !== 'property') return undefined;
  const props = declaredNames(readFileSync(configPath, 'utf8'), 'PROPERTY');
  return props.length === 1 ? props[0] : undefined;
}

function judge(job: Job, r: TlcResult): { ok: boolean; reason?: string; violated?: string } {
  const violated = violatedName(r, job.configPath);
  if (job.kind === 'model') {
    if (r.outcome !== 'ok') {
      return { ok: false, violated, reason: `expected no violation, TLC reported ${r.outcome}` +
        (violated ? ` of ${violated}` : '') + firstError(r) };
    }
    if (job.minDistinctStates !== undefined && r.distinctStates < job.minDistinctStates) {
      return { ok: false, reason: `only ${r.distinctStates} distinct states, at least ` +
        `${job.minDistinctStates} required` };
    }
    return { ok: true };
  }
  if (violated === job.expected) return { ok: true, violated };
  return { ok: false, violated, reason: `expected ${job.expected} violated, TLC reported ` +
    `${r.outcome}${violated ? ` of ${violated}` : ''}${firstError(r)}` };
}

function firstError(r: TlcResult): string {
  const e = r.errors?.[0];
  return e ? `: ${e.message.split('\n')[0]}` : '';
}

async function runJob(job: Job, opts: CheckOptions): Promise<CheckItem> {
  const rel = (p: string): string => relative(REPO_ROOT, p);
  opts.onEvent?.({ type: 'start', protocol: job.protocol, spec: rel(job.specPath),
    config: rel(job.configPath), kind: job.kind });
  const r = await runTlc({
    spec: job.specPath, config: job.configPath, workers: job.workers,
    checkDeadlock: job.checkDeadlock, timeoutMs: opts.timeoutMs,
    onProgress: (progress) => opts.onEvent?.({ type: 'progress', config: rel(job.configPath), progress }),
  });
  const verdict = judge(job, r);
  const item: CheckItem = {
    protocol: job.protocol, spec: rel(job.specPath), config: rel(job.configPath), kind: job.kind,
    bug: job.bug, description: job.description, expected: job.expected, outcome: r.outcome,
    violated: verdict.violated, exitCode: r.exitCode, distinctStates: r.distinctStates,
    generatedStates: r.generatedStates, depth: r.depth, seconds: r.seconds,
    minDistinctStates: job.minDistinctStates, ok: verdict.ok, reason: verdict.reason,
  };
  opts.onEvent?.({ type: 'done', item });
  return item;
}

export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  const results: CheckItem[] = [];
  const errors: CheckReport['errors'] = [];
  for (const protocol of opts.protocols) {
    const jobs = jobsFor(protocol, opts);
    if (!Array.isArray(jobs)) {
      errors.push({ protocol, ...jobs });
      continue;
    }
    // One TLC at a time, each with every core. Bug variants used to run two at once; once in CI
    // one of two concurrently started JVMs reported a spurious SANY lexical error (EOF inside a
    // module that parses fine on its own), so runs are sequential (bugs take 1–2 s each).
    for (const job of jobs) results.push(await runJob(job, opts));
  }
  return { ok: errors.length === 0 && results.every((r) => r.ok) && results.length > 0, results, errors };
}
