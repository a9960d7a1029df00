/**
 * The shell text the VM backend sends through the guest agent, and the parsing of its answer.
 * Pure (unit-tested): no VM needed.
 *
 * The guest agent runs one `sh -c` command and answers its exit code and merged output. To give
 * the sandbox interface separate stdout/stderr, stdin, an environment and a time limit, every
 * invocation is wrapped:
 *
 *   cd /sandbox; stdin -> /tmp/.sbx-in
 *   env -i PATH HOME sh -c '. <env file>; export <request env>; exec timeout -s KILL N "$@"'
 *   answer: one line "@@X <rc> <base64 stdout> <base64 stderr> <truncated 0|1>"
 *
 * So the command sees only the sandbox's environment (written at boot into the guest, part of
 * its clean snapshot) plus the request's, nothing of the agent's. busybox `timeout` takes whole
 * seconds: a limit is rounded up to the next second; a command killed by it exits 128+9.
 */
import { z } from 'zod';
import { shellQuote } from '../../vmm/index.ts';
import type { ExecResult, SandboxEnv } from '../../../src/sandbox/backend/index.ts';

/** Where a sandbox lives inside its guest. */
export const GUEST_SANDBOX_DIR = '/sandbox';
export const GUEST_ENV_FILE = '/run/sandbox/env';
export const GUEST_PATH = '/bin';
const ANSWER_TAG = '@@X';
const EXIT_SIGNAL_BASE = 128;
const SIGNALS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT',
  9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

/** Where the wrapper puts things (the guest's defaults; tests run it on the host elsewhere). */
export type GuestPaths = { sandboxDir: string; envFile: string; tmpDir: string; path: string };
export const GUEST_PATHS: GuestPaths = { sandboxDir: GUEST_SANDBOX_DIR, envFile: GUEST_ENV_FILE,
  tmpDir: '/tmp', path: GUEST_PATH };

/** The request as the backend validated it (execRequestSchema's output). */
export type GuestExec = {
  command: string;
  args: readonly string[];
  env?: SandboxEnv | undefined;
  stdin?: string | undefined;
  timeoutMs: number;
};

/** `export K='v'` lines: the sandbox's environment file in the guest (sourced by every exec). */
export function envFileText(env: SandboxEnv): string {
  return Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/** The guest command that writes the sandbox's directory and environment file (at boot). */
export function installCommand(env: SandboxEnv, tarBase64: string | null): string {
  const envBase64 = Buffer.from(envFileText(env), 'utf8').toString('base64');
  const lines = [
    `mkdir -p ${GUEST_SANDBOX_DIR} /run/sandbox || exit 250`,
    `printf '%s' '${envBase64}' | base64 -d > ${GUEST_ENV_FILE} || exit 251`,
    `chmod 600 ${GUEST_ENV_FILE}`,
  ];
  if (tarBase64 !== null) {
    lines.push(`printf '%s' '${tarBase64}' | base64 -d | tar -xf - -C ${GUEST_SANDBOX_DIR}` +
      ' || exit 252');
  }
  return lines.join('\n');
}

/** busybox timeout's whole seconds, at least 1. */
export function timeoutSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/** The wrapped invocation (see the module comment). */
export function execCommand(request: GuestExec, maxOutputBytes: number,
  paths: GuestPaths = GUEST_PATHS): string {
  const exports = Object.entries(request.env ?? {})
    .map(([name, value]) => `export ${name}=${shellQuote(value)}; `).join('');
  const inner = `. ${shellQuote(paths.envFile)}; ${exports}exec timeout -s KILL ` +
    `${timeoutSeconds(request.timeoutMs)} "$@"`;
  const argv = [request.command, ...request.args].map(shellQuote).join(' ');
  const [stdin, out, errFile] = ['in', 'out', 'err'].map((n) =>
    shellQuote(`${paths.tmpDir}/.sbx-${n}`)) as [string, string, string];
  const feed = request.stdin === undefined ? `: > ${stdin}`
    : `printf '%s' '${Buffer.from(request.stdin, 'utf8').toString('base64')}' | base64 -d` +
      ` > ${stdin}`;
  const encode = (file: string): string => `$(head -c ${maxOutputBytes} ${file} | base64 -w 0)`;
  const over = (file: string): string => `[ $(wc -c < ${file}) -gt ${maxOutputBytes} ]`;
  return [
    `cd ${shellQuote(paths.sandboxDir)} || exit 250`,
    feed,
    `env -i PATH=${shellQuote(paths.path)} HOME=${shellQuote(paths.sandboxDir)} ` +
      `sh -c ${shellQuote(inner)} sbx ${argv} < ${stdin} > ${out} 2> ${errFile}`,
    'rc=$?',
    `t=0; if ${over(out)} || ${over(errFile)}; then t=1; fi`,
    `printf '\\n${ANSWER_TAG} %s %s %s %s\\n' "$rc" "${encode(out)}" "${encode(errFile)}" "$t"`,
    `rm -f ${stdin} ${out} ${errFile}`,
  ].join('\n');
}

const answerSchema = z.tuple([
  z.literal(ANSWER_TAG),
  z.string().regex(/^\d{1,3}$/),
  z.string().regex(/^[A-Za-z0-9+/=]*$/),
  z.string().regex(/^[A-Za-z0-9+/=]*$/),
  z.enum(['0', '1']),
]);

export type ParseError = { code: 'exec-failed'; message: string };

/**
 * The ExecResult from the agent's merged output; `elapsedMs` is the host's measure, which
 * decides `timedOut` for a command killed by SIGKILL at (or past) its limit.
 */
export function parseExecAnswer(output: string, elapsedMs: number, timeoutMs: number):
  { ok: true; value: ExecResult } | { ok: false; error: ParseError } {
  const line = output.split('\n').reverse().find((l) => l.startsWith(`${ANSWER_TAG} `));
  const parsed = answerSchema.safeParse(line?.split(' '));
  if (!parsed.success) {
    const tail = output.slice(-160).replace(/\s+/g, ' ');
    return { ok: false, error: { code: 'exec-failed', message: `no answer line: ${tail}` } };
  }
  const [, rcText, out, errText, truncated] = parsed.data;
  const rc = Number(rcText);
  const signalNumber = rc > EXIT_SIGNAL_BASE ? rc - EXIT_SIGNAL_BASE : null;
  const signal = signalNumber === null ? null : SIGNALS[signalNumber] ?? `SIG${signalNumber}`;
  const timedOut = signalNumber === 9 && elapsedMs >= timeoutMs;
  return { ok: true, value: {
    exitCode: signal === null ? rc : null,
    signal,
    stdout: Buffer.from(out, 'base64').toString('utf8'),
    stderr: Buffer.from(errText, 'base64').toString('utf8'),
    truncated: truncated === '1',
    durationMs: elapsedMs,
    timedOut,
  } };
}
