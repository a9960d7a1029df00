/**
 * Regenerates the bug modules from ../SnapshotGC.tla: each is a copy with ONE textual change.
 * Run from the repo root: `npx tsx spec/snapshot-gc/bugs/make-bugs.ts`. Fails if a change no
 * longer applies exactly once (the spec moved: update the change here).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const spec = readFileSync(join(here, '..', 'SnapshotGC.tla'), 'utf8');

const bugs: Record<string, [string, string]> = {
  RestoreWithoutDrain: [
    'Drained(i) == running[i] = 0\n',
    'Drained(i) == TRUE \\* BUG 1: the GC does not wait for running executions\n',
  ],
  SaveBeforeDrain: [
    '  /\\ phase[i] = "draining" /\\ Drained(i)\n',
    '  /\\ phase[i] = "draining" \\* BUG 2: saved while executions still run\n',
  ],
  RestoreWithoutTerminate: [
    'CloseBoth(i) ==\n' +
      "  /\\ connInst' = [connInst EXCEPT ![i] = IF @ = \"open\" THEN \"closed\" ELSE @]\n" +
      "  /\\ connPeer' = [connPeer EXCEPT ![i] = IF @ = \"open\" THEN \"closed\" ELSE @]\n",
    'CloseBoth(i) == UNCHANGED connVars \\* BUG 3: no termination signal is sent\n',
  ],
  RetryWithoutKey: [
    'UseKey == TRUE\n',
    'UseKey == FALSE \\* BUG 4: the external effect carries no idempotency key\n',
  ],
  StaleGarbageReading: [
    'Admits(i) == garbage[i] < Threshold\n',
    'Admits(i) == reading[i] < Threshold \\* BUG 5: checks a stale reading\n',
  ],
  RestoreWithoutNewIdentity: [
    'NewIdentity(i) ==\n' +
      "  /\\ gen' = [gen EXCEPT ![i] = Next1(@, GenMax)]\n" +
      "  /\\ entropy' = [entropy EXCEPT ![i] = Fresh]\n",
    'NewIdentity(i) == \\* BUG 6: S\'s generation and entropy come back with S\n' +
      "  /\\ gen' = [gen EXCEPT ![i] = 0]\n" +
      "  /\\ entropy' = [entropy EXCEPT ![i] = 0]\n",
  ],
};

for (const [name, [from, to]] of Object.entries(bugs)) {
  const count = spec.split(from).length - 1;
  if (count !== 1) throw new Error(`${name}: the change applies ${count} times, not once`);
  const title = ` MODULE ${name} `;
  const pad = 77 - title.length;
  const header = '-'.repeat(Math.floor(pad / 2)) + title + '-'.repeat(Math.ceil(pad / 2));
  const body = spec.replace(from, to).split('\n').slice(1).join('\n');
  writeFileSync(join(here, `${name}.tla`), `${header}\n${body}`);
  console.log(`wrote ${name}.tla`);
}
