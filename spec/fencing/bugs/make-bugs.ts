/**
 * Regenerates the bug modules from ../Fencing.tla: each is a copy with ONE textual change.
 * Run from the repo root: `npx tsx spec/fencing/bugs/make-bugs.ts`. Fails if a change no
 * longer applies exactly once (the spec moved: update the change here).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const spec = readFileSync(join(here, '..', 'Fencing.tla'), 'utf8');

const bugs: Record<string, [string, string]> = {
  VolatileMaxEpoch: [
    "  /\\ up' = [up EXCEPT ![s] = TRUE]\n  /\\ UNCHANGED <<issuerEpoch, heads, maxEpoch, block,",
    "  /\\ up' = [up EXCEPT ![s] = TRUE]\n" +
      "  /\\ maxEpoch' = [maxEpoch EXCEPT ![s] = 0] \\* BUG 1: maxEpoch was only in memory\n" +
      '  /\\ UNCHANGED <<issuerEpoch, heads, block,',
  ],
  SmallFenceQuorum: [
    'ASSUME W + F > Cardinality(Sleds)\n',
    '\\* BUG 2: no ASSUME W + F > Cardinality(Sleds); the config sets W + F = N\n',
  ],
  VolatileIssuer: [
    'IssuerRestart ==\n  /\\ UNCHANGED vars',
    "IssuerRestart ==\n  /\\ issuerEpoch' = 0 \\* BUG 3: the counter was only in memory\n" +
      '  /\\ UNCHANGED <<heads, sleds, msgs, migration, crashes, ghosts>>',
  ],
  ReadBeforeRepair: [
    'CanRead(h) == phase[h] = "serving"\n',
    'CanRead(h) == phase[h] \\in {"fencing", "repairing", "serving"} \\* BUG 4: before repair\n',
  ],
  StrictEpoch: [
    '     IN IF m.epoch >= maxEpoch[s]',
    '     IN IF m.epoch > maxEpoch[s] \\* BUG 5: an equal epoch is refused',
  ],
  MigrateWithoutPause: [
    "  /\\ phase' = [phase EXCEPT ![src] = \"paused\"]\n" +
      "  /\\ migration' = [src |-> src, dst |-> dst, granted |-> FALSE]\n" +
      '  /\\ UNCHANGED <<issuerEpoch, epoch,',
    "  /\\ migration' = [src |-> src, dst |-> dst, granted |-> FALSE] \\* BUG 6: src not paused\n" +
      '  /\\ UNCHANGED <<issuerEpoch, phase, epoch,',
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
