/**
 * Everything the harness creates registers how to undo it here. `run()` undoes in reverse
 * order and keeps going past failures. Each entry may also carry a synchronous fallback that the
 * process 'exit' hook runs (and SIGINT/SIGTERM trigger), so a crashed run leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';

type Entry = { name: string; undo: () => Promise<void>; undoSync?: () => void; done: boolean };

const open = new Set<Teardown>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const teardown of open) teardown.runSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

export class Teardown {
  private readonly entries: Entry[] = [];
  readonly failures: string[] = [];

  constructor() {
    installHooks();
    open.add(this);
  }

  add(name: string, undo: () => Promise<void>, undoSync?: () => void): void {
    this.entries.push({ name, undo, undoSync, done: false });
  }

  get pending(): string[] {
    return this.entries.filter((entry) => !entry.done).map((entry) => entry.name);
  }

  /** Undo everything not yet undone, newest first. */
  async run(): Promise<void> {
    for (const entry of [...this.entries].reverse()) {
      if (entry.done) continue;
      entry.done = true;
      try {
        await entry.undo();
      } catch (thrown) {
        this.failures.push(`${entry.name}: ${String(thrown)}`);
      }
    }
    open.delete(this);
  }

  /** The exit-hook path: synchronous fallbacks only. */
  runSync(): void {
    for (const entry of [...this.entries].reverse()) {
      if (entry.done || entry.undoSync === undefined) continue;
      entry.done = true;
      try {
        entry.undoSync();
      } catch {
        // best effort at exit
      }
    }
    open.delete(this);
  }
}

/** Run `body` with a fresh Teardown that is always run afterwards, also when body throws. */
export async function withTeardown<T>(body: (teardown: Teardown) => Promise<T>): Promise<T> {
  const teardown = new Teardown();
  try {
    return await body(teardown);
  } finally {
    await teardown.run();
  }
}

/** Run a command synchronously, ignoring failure (exit-hook cleanups). */
export function runQuietSync(argv: readonly string[]): void {
  const [program, ...args] = argv;
  if (program === undefined) return;
  try {
    execFileSync(program, args, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // best effort
  }
}
