/**
 * Composition for the role processes: a role's `stepsModule` argument names a module whose
 * export (`sledSteps`, `issuerSteps`) replaces some of the core step functions the role runs.
 * Tests and the harness inject bugs this way, from their side; the cores stay unchanged.
 */
import { pathToFileURL } from 'node:url';
import { err, ok, type Result } from '../../runtime/node/index.ts';

export type StepsError = { code: 'bad-steps-module'; message: string };

/** `defaults` with the functions `exportName` of `modulePath` overrides (none: defaults). */
export async function loadSteps<T extends object>(modulePath: string | undefined,
  exportName: string, defaults: T): Promise<Result<T, StepsError>> {
  if (modulePath === undefined) return ok(defaults);
  const bad = (message: string) => err<StepsError>({ code: 'bad-steps-module', message });
  let loaded: unknown;
  try {
    loaded = ((await import(pathToFileURL(modulePath).href)) as Record<string, unknown>)[
      exportName];
  } catch (thrown) {
    return bad(`${modulePath}: ${String(thrown)}`);
  }
  if (typeof loaded !== 'object' || loaded === null) return bad(`${modulePath}: no ${exportName}`);
  const steps: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [name, fn] of Object.entries(loaded)) {
    if (!(name in defaults) || typeof fn !== 'function') return bad(`bad ${exportName}.${name}`);
    steps[name] = fn;
  }
  return ok(steps as T);
}
