/**
 * Shared plumbing for the harness: the error value every adapter returns, and `runCommand`,
 * which runs one host program with a time limit and hands back its exit code and output.
 * A program that outlives its limit is SIGKILLed (its whole process group), never left behind.
 */
import { spawn } from 'node:child_process';
import { err, ok, type Result } from '../src/runtime/node/index.ts';

export { assert, describeError, err, ok, type Result } from '../src/runtime/node/index.ts';

export type HarnessErrorCode =
  | 'missing-tool'
  | 'command-failed'
  | 'timeout'
  | 'refused'
  | 'unsupported'
  | 'bad-response'
  | 'io-failed'
  | 'vm-failed'
  | 'locked';
export type HarnessError = { code: HarnessErrorCode; message: string };

export function harnessError(code: HarnessErrorCode, message: string): HarnessError {
  return { code, message: message.replace(/\s+/g, ' ').trim().slice(0, 400) };
}

export type CommandOutput = { exitCode: number; stdout: string; stderr: string; elapsedMs: number };

export type RunOptions = { timeoutMs?: number; cwd?: string; input?: string };

const OUTPUT_BYTES_MAX = 4 * 1024 * 1024;

/** Run `argv` (no shell). Resolves with the exit code even when it is not 0. */
export function runCommand(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<Result<CommandOutput, HarnessError>> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('assertion failed: runCommand needs a program');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const startedMs = Date.now();
  return new Promise((resolve) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(program, args, { cwd: options.cwd, detached: true,
      stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      killGroup(child.pid);
      resolve(err(harnessError('timeout', `${program} did not finish in ${timeoutMs} ms`)));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdout.length < OUTPUT_BYTES_MAX) stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < OUTPUT_BYTES_MAX) stderr += chunk.toString('utf8');
    });
    child.on('error', (thrown: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = thrown.code === 'ENOENT' ? 'missing-tool' : 'command-failed';
      resolve(err(harnessError(code, `${program}: ${thrown.message}`)));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? (signal === null ? -1 : 128);
      resolve(ok({ exitCode, stdout, stderr, elapsedMs: Date.now() - startedMs }));
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** Run and require exit code 0; the error carries the tail of stderr. */
export async function runChecked(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<Result<CommandOutput, HarnessError>> {
  const ran = await runCommand(argv, options);
  if (!ran.ok || ran.value.exitCode === 0) return ran;
  const tail = ran.value.stderr.trim().split('\n').slice(-3).join(' | ');
  const message = `${argv.join(' ')} exited ${ran.value.exitCode}: ${tail}`;
  return err(harnessError('command-failed', message));
}

/** SIGKILL a process group started with `detached: true` (ignores a group already gone). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
