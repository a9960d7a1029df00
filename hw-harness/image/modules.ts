/**
 * Kernel modules for the initramfs: find `<name>.ko` in an unpacked kernel package and order
 * a requested list with its dependencies (read from each module's `.modinfo` "depends=" field,
 * since the package ships no modules.dep) so that `insmod` in that order succeeds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { err, harnessError, ok, type HarnessError, type Result } from '../run.ts';

const MODULES_MAX = 64;

/** Map module name (with `_`) -> path of its .ko under `modulesRoot`. */
export function indexModules(modulesRoot: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ko')) {
        index.set(entry.name.slice(0, -3).replace(/-/g, '_'), full);
      }
    }
  };
  walk(modulesRoot);
  return index;
}

/** The "depends=" list embedded in a .ko file's .modinfo section. */
export function moduleDepends(koBytes: Buffer): string[] {
  const marker = Buffer.from('\0depends=');
  const at = koBytes.indexOf(marker);
  if (at < 0) return [];
  const start = at + marker.length;
  const end = koBytes.indexOf(0, start);
  const text = koBytes.subarray(start, end < 0 ? undefined : end).toString('latin1');
  return text.split(',').filter((name) => name.length > 0).map((n) => n.replace(/-/g, '_'));
}

/** Dependencies first, each module once. */
export function orderModules(
  wanted: readonly string[],
  dependsOf: (name: string) => string[] | null,
): Result<string[], HarnessError> {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): HarnessError | null => {
    if (order.includes(name)) return null;
    if (visiting.has(name)) return harnessError('bad-response', `module cycle at ${name}`);
    if (order.length >= MODULES_MAX) return harnessError('refused', 'too many modules');
    const depends = dependsOf(name);
    if (depends === null) return harnessError('io-failed', `kernel package has no module ${name}`);
    visiting.add(name);
    for (const dependency of depends) {
      const failed = visit(dependency);
      if (failed !== null) return failed;
    }
    visiting.delete(name);
    order.push(name);
    return null;
  };
  for (const name of wanted) {
    const failed = visit(name);
    if (failed !== null) return err(failed);
  }
  return ok(order);
}
