/**
 * The sandbox-reuse scenario's pure parts, no VM: the VM backend's guest command (run for real
 * by the host's sh in a temp dir, so its quoting, env, stdin, timeout and output framing are
 * exercised), its answer parsing, request validation, the invocation probes' readings, the
 * driver's placement choice over the real cores, and the injected bugs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyAction, enabledActions, initCluster, type ClusterConfig,
} from '../../../src/sandbox/index.ts';
import {
  choosePlacement, envFileText, execCommand, installCommand, parseExecAnswer, SANDBOX_BUGS,
  scenario, timeoutSeconds, VmBackend,
} from '../../../hw-harness/scenarios/sandbox-reuse/index.ts';
import { findBug } from '../../../hw-harness/scenarios/sandbox-reuse/bugs.ts';
import type { GuestPaths } from '../../../hw-harness/scenarios/sandbox-reuse/guest-command.ts';
import {
  auditScript, probeScript, readAudit, readProbe, residueScript,
} from '../../../hw-harness/scenarios/sandbox-reuse/invocations.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-sbx-units-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A host directory laid out like the guest's sandbox, with its env file. */
function hostSandbox(env: Record<string, string>): GuestPaths {
  const root = fs.mkdtempSync(path.join(scratch, 'sbx-'));
  const paths = { sandboxDir: path.join(root, 'sandbox'), envFile: path.join(root, 'env'),
    tmpDir: root, path: '/usr/bin:/bin' };
  fs.mkdirSync(paths.sandboxDir);
  fs.writeFileSync(paths.envFile, envFileText(env));
  return paths;
}

function runOnHost(script: string): string {
  try {
    return execFileSync('sh', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
  } catch (thrown) {
    return String((thrown as { stdout?: string }).stdout ?? thrown);
  }
}

describe('VM backend guest command (run by the host sh)', () => {
  it('passes argv, stdin and env exactly, keeps stdout and stderr apart', () => {
    const paths = hostSandbox({ CANARY_TA: "it's $secret `x`" });
    const script = execCommand({ command: 'sh', args: ['-c',
      'read x; printf "%s|%s|%s|%s" "$x" "$1" "$CANARY_TA" "$EXTRA"; echo err >&2; exit 7',
      'sh', 'a b "c"'], stdin: 'line one\n', env: { EXTRA: "q'uote" }, timeoutMs: 5_000 },
    1024, paths);
    const answer = parseExecAnswer(runOnHost(script), 10, 5_000);
    expect(answer).toEqual({ ok: true, value: { exitCode: 7, signal: null,
      stdout: `line one|a b "c"|it's $secret \`x\`|q'uote`, stderr: 'err\n', truncated: false,
      durationMs: 10, timedOut: false } });
  });

  it('gives the command only the sandbox env, the request env and PATH/HOME', () => {
    const paths = hostSandbox({ CANARY_TB: 'v' });
    const script = execCommand({ command: 'env', args: [], env: { ONE: '1' },
      timeoutMs: 5_000 }, 4096, paths);
    const answer = parseExecAnswer(runOnHost(script), 1, 5_000);
    if (!answer.ok) throw new Error(answer.error.message);
    const names = answer.value.stdout.trim().split('\n').map((l) => l.split('=')[0]).sort();
    expect(names.filter((n) => !['PWD', 'SHLVL', 'OLDPWD', '_'].includes(n ?? '')))
      .toEqual(['CANARY_TB', 'HOME', 'ONE', 'PATH']);
  });

  it('kills a command at its limit (whole seconds) and says it timed out', () => {
    const paths = hostSandbox({});
    const script = execCommand({ command: 'sleep', args: ['5'], timeoutMs: 800 }, 64, paths);
    const startedMs = Date.now();
    const answer = parseExecAnswer(runOnHost(script), Date.now() - startedMs, 800);
    expect(answer.ok && answer.value).toMatchObject({ exitCode: null, signal: 'SIGKILL',
      timedOut: true });
    expect(timeoutSeconds(800)).toBe(1);
    expect(timeoutSeconds(1001)).toBe(2);
  });

  it('cuts output at the limit and says so', () => {
    const paths = hostSandbox({});
    const script = execCommand({ command: 'sh', args: ['-c', 'yes | head -c 5000'],
      timeoutMs: 5_000 }, 100, paths);
    const answer = parseExecAnswer(runOnHost(script), 1, 5_000);
    expect(answer.ok && answer.value.stdout.length).toBe(100);
    expect(answer.ok && answer.value.truncated).toBe(true);
  });

  it('refuses an answer without its framing line', () => {
    expect(parseExecAnswer('garbage\n@@X 1 !! x 0\n', 1, 10)).toMatchObject({ ok: false,
      error: { code: 'exec-failed' } });
    expect(parseExecAnswer('', 1, 10).ok).toBe(false);
  });

  it('installs the env file and the template tar at boot', () => {
    const text = installCommand({ A: "x'y" }, null);
    expect(text).toContain('/run/sandbox/env');
    expect(text).not.toContain('tar -xf');
    expect(installCommand({}, 'AAAA')).toContain('tar -xf - -C /sandbox');
    expect(envFileText({ A: "x'y" })).toBe("export A='x'\\''y'\n");
  });
});

describe('VmBackend without a VM', () => {
  const made = VmBackend.create({ accel: 'tcg', kernelPath: '/none', initrdPath: '/none',
    workDir: scratch });

  it('refuses a missing work directory and is named qemu-<accel>', () => {
    const missing = VmBackend.create({ accel: 'tcg', kernelPath: 'k', initrdPath: 'i',
      workDir: path.join(scratch, 'nope') });
    expect(missing.ok ? 'ok' : missing.error.code).toBe('bad-spec');
    expect(made.ok && made.value.describe().backend).toBe('qemu-tcg');
  });

  it('validates boot specs and exec requests with the interface schemas', async () => {
    if (!made.ok) throw new Error('create');
    const backend = made.value;
    const bad = await backend.boot({ id: '../escape', kind: 'k', env: {} });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('bad-spec');
    const badEnv = await backend.boot({ id: 'ok', kind: 'k', env: { 'A-B': 'x' } });
    expect(badEnv.ok ? 'ok' : badEnv.error.code).toBe('bad-spec');
    const noTemplate = await backend.boot({ id: 'ok', kind: 'k', env: {} });
    expect(noTemplate.ok ? 'ok' : noTemplate.error.message).toContain('prepareTemplate');
    const handle = { id: 'ghost', kind: 'k', backend: 'qemu-tcg' };
    const exec = await backend.exec(handle, { command: 'true', timeoutMs: 1 });
    expect(exec.ok ? 'ok' : exec.error.code).toBe('unknown-sandbox');
    const reset = await backend.reset(handle);
    expect(reset.ok ? 'ok' : reset.error.code).toBe('unknown-sandbox');
    const restore = await backend.restore({ snapshotId: 's', sandboxId: 'x', kind: 'k',
      backend: 'qemu-tcg' });
    expect(restore.ok ? 'ok' : restore.error.code).toBe('unknown-snapshot');
  });
});

describe('invocation probes and audits', () => {
  const secrets = { ta: 'SECRET-A', tb: 'SECRET-B' };

  it('reads its own canary and reports every line with the other tenant\'s secret', () => {
    const out = 'own-file:SECRET-A\nown-env:SECRET-A\nother-file:\nother-env:SECRET-B\n' +
      'seen:CANARY_TB=SECRET-B\ncred:{"a":1}\n';
    const reading = readProbe(out, 'ta', secrets);
    expect(reading.ownFile).toBe('SECRET-A');
    expect(reading.credential).toBe('{"a":1}');
    expect(reading.leaks).toEqual(['other-env:<secret of tb>', 'seen:CANARY_TB=<secret of tb>']);
    expect(readProbe('own-file:SECRET-B\n', 'tb', secrets).leaks).toEqual([]);
  });

  it('probes both canary paths and variables; audits without matching itself', () => {
    expect(probeScript('ta')).toContain('/sandbox/canary-tb');
    expect(probeScript('ta')).toContain('$CANARY_TB');
    expect(auditScript()).not.toContain('residue-');
    expect(residueScript('u1')).toContain('residue-u1');
    expect(readAudit('file:/tmp/residue-u1\nnoise\nproc:/proc/9/cmdline:sh\nenv:X=1\n'))
      .toHaveLength(3);
  });

  it('runs the residue script and sees all three residues with the audit (host sh)', () => {
    const root = fs.mkdtempSync(path.join(scratch, 'res-'));
    const rewrite = (s: string): string => s.replace(/\/run\/sandbox\/env|\/sandbox\/|\/tmp\//g,
      (m) => (m.endsWith('env') ? `${root}/env` : `${root}/`));
    const pidFile = path.join(root, 'pid');
    const leave = `${rewrite(residueScript('u9'))}\necho $! > ${pidFile}`;
    runOnHost(leave);
    const seen = readAudit(runOnHost(`. ${root}/env; ${rewrite(auditScript())}`));
    process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    expect(seen.map((l) => l.split(':')[0]).sort()).toEqual(['env', 'file', 'file', 'proc']);
  });
});

const config: ClusterConfig = { workers: ['w1', 'w2'], capacity: 1, requests: ['r1', 'r2'],
  fn: 'resize', versions: [1], tenants: ['ta', 'tb'], maxProbes: 1, maxRetries: 0,
  maxRedrives: 0, singleUse: false, limitFloor: 2, limitMax: 2, key: new Uint8Array(32),
  scope: 'invoke', timeoutMs: 100 };

describe('the driver\'s placement choice over the real cores', () => {
  /** r1 of ta built and left idle on `w`; r2 of tb accepted. */
  function withIdleTa(steps = {}) {
    let c = initCluster(config, steps);
    const run = (label: string): void => {
      const a = enabledActions(c).find((x) => x.label === label);
      if (a === undefined) throw new Error(`not enabled: ${label}`);
      c = applyAction(c, a);
    };
    for (const l of ['Accept(r1, resize/1/ta)', 'Probe(r1, w1, miss)', 'Provision(r1, w2, w2#1)',
      'Ready(w2#1)', 'Start(r1)', 'Complete(r1)', 'Release(w2#1)', 'Accept(r2, resize/1/tb)']) {
      run(l);
    }
    return c;
  }

  it('probes where a later provision can succeed instead of running into a throttle', () => {
    const c = withIdleTa();
    expect(choosePlacement(c, 'r2', null)?.label).toBe('Probe(r2, w2, miss)');
  });

  it('takes an acquiring ask first, so an injected FunctionNameMatch shows', () => {
    const bug = SANDBOX_BUGS.find((b) => b.name === 'FunctionNameMatch');
    const c = withIdleTa(bug?.steps);
    expect(choosePlacement(c, 'r2', null)?.label).toBe('Probe(r2, w2, w2#1)');
  });
});

describe('injectable bugs', () => {
  it('lists sheet bugs with the property each violates, and refuses unknown names', () => {
    const manifest = JSON.parse(fs.readFileSync('spec/sandbox-reuse/bugs/manifest.json',
      'utf8')) as { module: string; expected: string }[];
    for (const bug of scenario.bugs) {
      const entry = manifest.find((m) => m.module === `${bug.name}.tla`);
      expect(entry?.expected).toBe(bug.property);
    }
    expect(scenario.bugs.length).toBeGreaterThanOrEqual(1);
    expect(findBug('Nope')).toHaveProperty('error');
    expect(findBug(undefined)).toEqual({ bug: null });
  });
});
