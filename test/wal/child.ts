/**
 * Crash-test child: appends numbered records to a WAL from `concurrency` writers forever and
 * prints `ok <n>` on stdout as each append resolves. The parent SIGKILLs it at a random moment.
 * argv: <dir> <concurrency>
 */
import { openWal } from '../../src/runtime/node/wal.ts';
import { payload } from './payload.ts';

const [dir, concurrencyText] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: child.ts <dir> <concurrency>');
const concurrency = Number(concurrencyText ?? '8');
const opened = await openWal(dir, { segmentBytes: 64 * 1024 });
if (!opened.ok) {
  process.stderr.write(`open failed: ${opened.error.message}\n`);
  process.exit(2);
}
const wal = opened.value;
let next = 0;
process.stdout.write('ready\n');
async function writer(): Promise<void> {
  for (;;) {
    const n = next++;
    const r = await wal.append(payload(n));
    if (!r.ok) {
      process.stderr.write(`append ${n} failed: ${r.error.message}\n`);
      process.exit(3);
    }
    process.stdout.write(`ok ${n}\n`);
  }
}
await Promise.all(Array.from({ length: concurrency }, () => writer()));
