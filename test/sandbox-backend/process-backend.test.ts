import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProcessBackend,
  type BackendResult,
  type SandboxHandle,
} from '../../src/sandbox/backend/index.ts';

let backend: ProcessBackend;
let templateDir: string;

function must<T>(result: BackendResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A killed process may linger as a zombie until its new parent reaps it: poll. */
async function goneWithin(pid: number, limitMs: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !pidAlive(pid);
}

async function sh(handle: SandboxHandle, script: string, timeoutMs = 5000) {
  return backend.exec(handle, { command: 'sh', args: ['-c', script], timeoutMs });
}

beforeAll(async () => {
  templateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-template-'));
  fs.writeFileSync(path.join(templateDir, 'handler.txt'), 'template v1\n');
  backend = must(await ProcessBackend.create());
});

afterAll(async () => {
  await backend.close();
  fs.rmSync(templateDir, { recursive: true, force: true });
});

describe('ProcessBackend', () => {
  it('runs a command in the sandbox dir and answers output, exit code and stdin', async () => {
    const h = must(await backend.boot({ id: 'exec-1', kind: 't/f@1', env: {}, templateDir }));
    const r = must(await backend.exec(h, { command: 'sh', args: ['-c',
      'cat handler.txt; read x; echo "in=$x"; echo oops >&2; pwd; exit 7'],
      stdin: 'hello\n', timeoutMs: 5000 }));
    expect(r.exitCode).toBe(7);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toContain('template v1');
    expect(r.stdout).toContain('in=hello');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(fs.realpathSync(backend.directoryOf(h)!));
    expect(r.stderr).toBe('oops\n');
    const missing = await backend.exec(h, { command: 'no-such-binary-xyz', timeoutMs: 2000 });
    expect(missing.ok ? 'ok' : missing.error.code).toBe('exec-failed');
    must(await backend.destroy(h));
  });

  it('kills a command that overruns its timeout, grandchildren included', async () => {
    const h = must(await backend.boot({ id: 'timeout-1', kind: 't/f@1', env: {} }));
    const t0 = performance.now();
    const r = must(await sh(h, 'sleep 30 & echo $! > bg.pid; sleep 30', 300));
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(performance.now() - t0).toBeLessThan(3000);
    const bgPid = Number(fs.readFileSync(path.join(backend.directoryOf(h)!, 'bg.pid'), 'utf8'));
    expect(await goneWithin(bgPid, 2000)).toBe(true);
    // the sandbox stays usable after a timeout
    expect(must(await sh(h, 'echo after')).stdout).toBe('after\n');
    must(await backend.destroy(h));
  });

  it('keeps environments apart: A\'s secret is not visible in B, nor is the host\'s', async () => {
    process.env.PLUMBLINE_HOST_ONLY = 'host-secret';
    const a = must(await backend.boot({ id: 'env-a', kind: 'A/f@1',
      env: { CANARY: 'secret-of-A' } }));
    const b = must(await backend.boot({ id: 'env-b', kind: 'B/f@1', env: { OTHER: 'b' } }));
    expect(must(await sh(a, 'echo "$CANARY"')).stdout).toBe('secret-of-A\n');
    const inB = must(await sh(b, 'env; cat ../env-a/* 2>/dev/null; echo "[$CANARY]"'));
    expect(inB.stdout).not.toContain('secret-of-A');
    expect(inB.stdout).toContain('[]');
    expect(inB.stdout).not.toContain('host-secret');
    expect(inB.stdout).toContain('OTHER=b');
    const perCall = must(await backend.exec(b, { command: 'sh', args: ['-c', 'echo $X'],
      env: { X: 'only-now' }, timeoutMs: 2000 }));
    expect(perCall.stdout).toBe('only-now\n');
    expect(must(await sh(b, 'echo "[$X]"')).stdout).toBe('[]\n');
    delete process.env.PLUMBLINE_HOST_ONLY;
    must(await backend.destroy(a));
    must(await backend.destroy(b));
  });

  it('reset leaves nothing of the previous request: files, processes, env', async () => {
    const h = must(await backend.boot({ id: 'reset-1', kind: 'A/f@1', env: {}, templateDir }));
    const pidBefore = backend.agentPid(h);
    must(await sh(h, 'echo canary-123 > canary.txt; echo changed > handler.txt; mkdir -p d/e'));
    expect(must(await sh(h, 'cat canary.txt')).stdout).toBe('canary-123\n');
    must(await backend.reset(h));
    expect(backend.agentPid(h)).not.toBe(pidBefore);
    expect(await goneWithin(pidBefore!, 2000)).toBe(true);
    const after = must(await sh(h, 'ls -A; cat handler.txt; cat canary.txt 2>&1 || true'));
    expect(after.stdout).not.toContain('canary-123');
    expect(after.stdout).toContain('template v1');
    expect(after.stdout.split('\n').filter((l) => l === 'd')).toHaveLength(0);
    must(await backend.destroy(h));
  });

  it('snapshot and restore round trip; reset of the restored sandbox returns to it', async () => {
    const h = must(await backend.boot({ id: 'snap-1', kind: 'A/f@1', env: { K: 'v' } }));
    must(await sh(h, 'echo warm > state.txt'));
    const ref = must(await backend.snapshot(h));
    expect(ref.sandboxId).toBe('snap-1');
    must(await sh(h, 'echo later > later.txt'));
    const r = must(await backend.restore(ref, 'snap-1-copy'));
    expect(r.id).toBe('snap-1-copy');
    expect(must(await sh(r, 'cat state.txt; echo $K; ls')).stdout).toBe('warm\nv\nstate.txt\n');
    must(await sh(r, 'echo junk > junk.txt'));
    must(await backend.reset(r));
    expect(must(await sh(r, 'ls')).stdout).toBe('state.txt\n');
    const unknown = await backend.restore({ ...ref, snapshotId: 'nope' });
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe('unknown-snapshot');
    must(await backend.destroy(h));
    must(await backend.destroy(r));
  });

  it('destroy kills the agent and removes the directory; the handle is then unknown', async () => {
    const h = must(await backend.boot({ id: 'destroy-1', kind: 'A/f@1', env: {} }));
    const dir = backend.directoryOf(h)!;
    const pid = backend.agentPid(h)!;
    expect(fs.existsSync(dir)).toBe(true);
    must(await backend.destroy(h));
    expect(fs.existsSync(dir)).toBe(false);
    expect(await goneWithin(pid, 2000)).toBe(true);
    const again = await sh(h, 'true');
    expect(again.ok ? 'ok' : again.error.code).toBe('unknown-sandbox');
    const dup = must(await backend.boot({ id: 'dup', kind: 'A/f@1', env: {} }));
    const second = await backend.boot({ id: 'dup', kind: 'A/f@1', env: {} });
    expect(second.ok ? 'ok' : second.error.code).toBe('duplicate-id');
    must(await backend.destroy(dup));
  });

  it('reports a crashed agent instead of hanging, and reset brings it back', async () => {
    const h = must(await backend.boot({ id: 'crash-1', kind: 'A/f@1', env: {} }));
    const t0 = performance.now();
    const r = await sh(h, 'kill -9 $PPID; sleep 20', 30_000);
    expect(r.ok ? 'ok' : r.error.code).toBe('agent-crashed');
    expect(performance.now() - t0).toBeLessThan(5000);
    const next = await sh(h, 'true');
    expect(next.ok ? 'ok' : next.error.code).toBe('agent-crashed');
    must(await backend.reset(h));
    expect(must(await sh(h, 'echo back')).stdout).toBe('back\n');
    must(await backend.destroy(h));
  });

  it('refuses bad specs and concurrent commands as values', async () => {
    const bad = await backend.boot({ id: '../escape', kind: 'x', env: {} });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('bad-spec');
    const h = must(await backend.boot({ id: 'busy-1', kind: 'A/f@1', env: {} }));
    const first = sh(h, 'sleep 0.3; echo one');
    const second = await sh(h, 'echo two');
    expect(second.ok ? 'ok' : second.error.code).toBe('busy');
    expect(must(await first).stdout).toBe('one\n');
    expect(backend.describe().backend).toBe('process');
    must(await backend.destroy(h));
    expect(backend.liveCount()).toBe(0);
  });
});

describe.runIf(process.getuid?.() === 0)('ProcessBackend with a user id per sandbox', () => {
  it('B cannot read A\'s files even by path; each runs as its own uid', async () => {
    const iso = must(await ProcessBackend.create({ uidBase: 70_000 }));
    try {
      const a = must(await iso.boot({ id: 'uid-a', kind: 'A/f@1', env: {} }));
      const b = must(await iso.boot({ id: 'uid-b', kind: 'B/f@1', env: {} }));
      must(await iso.exec(a, { command: 'sh', args: ['-c', 'echo top-secret > canary.txt'],
        timeoutMs: 3000 }));
      const aDir = iso.directoryOf(a)!;
      const probe = must(await iso.exec(b, { command: 'sh', args: ['-c',
        `id -u; cat ${aDir}/canary.txt 2>&1; ls ${path.dirname(aDir)} 2>/dev/null | wc -l`],
        timeoutMs: 3000 }));
      expect(probe.stdout).not.toContain('top-secret');
      expect(probe.stdout).toContain('Permission denied');
      expect(probe.stdout.trim().split('\n').at(-1)?.trim()).toBe('0'); // cannot list others
      const uidA = must(await iso.exec(a, { command: 'id', args: ['-u'], timeoutMs: 3000 }));
      expect(Number(uidA.stdout)).toBeGreaterThan(70_000);
      expect(probe.stdout.split('\n')[0]).not.toBe(uidA.stdout.trim());
      must(await iso.reset(a));
      expect(must(await iso.exec(a, { command: 'ls', timeoutMs: 3000 })).stdout).toBe('');
    } finally {
      await iso.close();
    }
  });
});
