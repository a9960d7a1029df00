/**
 * The sandbox agent of the process backend: a long-lived child process whose working directory
 * is the sandbox's directory and whose environment is only what the sandbox was given. It runs
 * one invocation command at a time on request and answers its output and exit code.
 *
 * Plain JavaScript on purpose: it starts with `node agent.mjs` (no TypeScript loader), so a
 * provision costs one node start, not a node start plus a compiler. The message shapes mirror
 * agent-protocol.ts (the host validates what comes back with those schemas).
 *
 * Frames: one JSON object per line on stdin (requests) and stdout (answers).
 *   -> { id, type: 'exec', command, args, env, stdin?, timeoutMs, maxOutputBytes }
 *   <- { type: 'ready', pid }                     once, at start
 *   <- { id, type: 'started', pid }               the command's process (its own group)
 *   <- { id, type: 'result', exitCode, signal, stdout, stderr, truncated, durationMs, timedOut }
 *   <- { id, type: 'error', code, message }       the command could not start, or a bad frame
 * The agent exits when its stdin closes (the host went away).
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';

const MAX_LINE_BYTES = 4 << 20;

const envSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), z.string());
const requestSchema = z.object({
  id: z.number().int().nonnegative(),
  type: z.literal('exec'),
  command: z.string().min(1),
  args: z.array(z.string()),
  env: envSchema,
  stdin: z.string().optional(),
  timeoutMs: z.number().int().positive(),
  maxOutputBytes: z.number().int().positive(),
});

let running = false;
/** The running command's process group (killed if the host goes away). */
let commandPid = null;

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function collector(limitBytes) {
  const chunks = [];
  let bytes = 0;
  let truncated = false;
  return {
    push(chunk) {
      const room = limitBytes - bytes;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) truncated = true;
      chunks.push(kept);
      bytes += kept.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    get truncated() {
      return truncated;
    },
  };
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function execute(request) {
  if (running) {
    send({ id: request.id, type: 'error', code: 'busy', message: 'a command is running' });
    return;
  }
  running = true;
  const startedAt = performance.now();
  const env = { ...process.env, ...request.env };
  let child;
  try {
    child = spawn(request.command, request.args, { cwd: process.cwd(), env, detached: true,
      stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (thrown) {
    running = false;
    send({ id: request.id, type: 'error', code: 'spawn-failed', message: String(thrown) });
    return;
  }
  const out = collector(request.maxOutputBytes);
  const errOut = collector(request.maxOutputBytes);
  let timedOut = false;
  let settled = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) killGroup(child.pid);
  }, request.timeoutMs);
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => errOut.push(c));
  child.stdin.on('error', () => undefined);
  if (child.pid !== undefined) {
    commandPid = child.pid;
    send({ id: request.id, type: 'started', pid: child.pid });
  }
  const finish = (message) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    running = false;
    commandPid = null;
    send(message);
  };
  child.once('error', (e) => finish({ id: request.id, type: 'error', code: 'spawn-failed',
    message: `${e.code ?? ''} ${e.message}`.trim() }));
  child.once('close', (exitCode, signal) => {
    if (child.pid !== undefined) killGroup(child.pid); // leave nothing of the command behind
    finish({ id: request.id, type: 'result', exitCode, signal: signal ?? null,
      stdout: out.text(), stderr: errOut.text(), truncated: out.truncated || errOut.truncated,
      durationMs: performance.now() - startedAt, timedOut });
  });
  child.stdin.end(request.stdin ?? '');
}

function onLine(line) {
  if (line.length === 0) return;
  let json;
  try {
    json = JSON.parse(line);
  } catch {
    send({ id: -1, type: 'error', code: 'bad-frame', message: 'request is not JSON' });
    return;
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) {
    const id = typeof json?.id === 'number' ? json.id : -1;
    send({ id, type: 'error', code: 'bad-frame', message: parsed.error.issues[0]?.message });
    return;
  }
  execute(parsed.data);
}

let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk.toString('utf8');
  if (pending.length > MAX_LINE_BYTES) process.exit(3); // a host that sends this is broken
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) onLine(line);
});
function hostGone() {
  if (commandPid !== null) killGroup(commandPid);
  process.exit(0);
}
process.stdin.on('end', hostGone);
process.stdin.on('error', hostGone);
send({ type: 'ready', pid: process.pid });
