/**
 * The protocols plumbline knows, and where each one's spec and conformance driver live.
 * A protocol is listed here once its spec folder has a `check.json` (what `plumbline check`
 * runs) and, for `plumbline conform`, a conformance driver module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SPEC_ROOT = join(REPO_ROOT, 'spec');

export const PROTOCOL_NAMES = ['fencing', 'consensus-txn', 'sandbox-reuse', 'snapshot-gc'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** `spec/<protocol>/check.json`: the model configs and the bug manifest of a protocol. */
export const CheckManifestSchema = z.object({
  models: z.array(z.object({
    spec: z.string(),
    config: z.string(),
    deep: z.boolean().default(false),
    /** TLC's -deadlock: false when the spec's terminal states are intended. */
    checkDeadlock: z.boolean().default(true),
    workers: z.number().int().positive().optional(),
    /** A lower bound on distinct states this config must reach (guards against a shrunk model). */
    minDistinctStates: z.number().int().nonnegative().optional(),
  })),
  bugs: z.string().optional(),
});
export type CheckManifest = z.infer<typeof CheckManifestSchema>;

/** `spec/<protocol>/bugs/manifest.json`: each bug variant and the property it must violate. */
export const BugManifestSchema = z.array(z.object({
  bug: z.number().int(),
  module: z.string(),
  config: z.string(),
  expected: z.string(),
  description: z.string(),
  checkDeadlock: z.boolean().default(true),
}));
export type BugManifest = z.infer<typeof BugManifestSchema>;

export function specDir(protocol: ProtocolName): string {
  return join(SPEC_ROOT, protocol);
}

export type ManifestError = { code: 'manifest-missing' | 'manifest-invalid'; message: string };

function readJson<T>(path: string, schema: z.ZodType<T>): T | ManifestError {
  if (!existsSync(path)) return { code: 'manifest-missing', message: `${path} does not exist` };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { code: 'manifest-invalid', message: `${path}: ${(e as Error).message}` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { code: 'manifest-invalid', message: `${path}: ${z.prettifyError(parsed.error)}` };
  }
  return parsed.data;
}

export function isManifestError(x: unknown): x is ManifestError {
  return typeof x === 'object' && x !== null && 'code' in x && 'message' in x &&
    ((x as ManifestError).code === 'manifest-missing' || (x as ManifestError).code === 'manifest-invalid');
}

export function readCheckManifest(protocol: ProtocolName): CheckManifest | ManifestError {
  return readJson(join(specDir(protocol), 'check.json'), CheckManifestSchema);
}

export function readBugManifest(protocol: ProtocolName, relPath: string): BugManifest | ManifestError {
  return readJson(join(specDir(protocol), relPath), BugManifestSchema);
}

export function parseProtocols(names: string[]): { ok: true; protocols: ProtocolName[] } |
  { ok: false; message: string } {
  if (names.length === 0) return { ok: true, protocols: [...PROTOCOL_NAMES] };
  const unknown = names.filter((n) => !(PROTOCOL_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    return { ok: false, message: `unknown protocol ${unknown.join(', ')}; known: ${PROTOCOL_NAMES.join(', ')}` };
  }
  return { ok: true, protocols: names as ProtocolName[] };
}
