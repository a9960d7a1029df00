/**
 * Regenerates the Paxos bug modules (bugs 3, 4, 6 of the sheet) from ../GroupPaxos.tla: each
 * is a copy with ONE textual change (and its module name). Run from the repo root:
 * `npx tsx spec/consensus-txn/bugs/make-paxos-bugs.ts`. Fails if a change no longer applies
 * exactly once (the spec moved: update the change here).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const spec = readFileSync(join(here, '..', 'GroupPaxos.tla'), 'utf8');

const bugs: Record<string, [string, string]> = {
  AcceptBelowPromise: [
    '  /\\ m.type = "2a"\n  /\\ m.bal >= maxBal[a]\n',
    '  /\\ m.type = "2a"\n  \\* BUG 3: no m.bal >= maxBal[a]: accepts below its promise\n',
  ],
  OwnValueInPhase2: [
    '  /\\ \\E Q \\in Quorum : PromisedBy(b, Q) /\\ SafeValue(b, Q, s, v)\n',
    '  /\\ \\E Q \\in Quorum : PromisedBy(b, Q) /\\ v \\in proposed \\* BUG 4: ignores reports\n',
  ],
  MinorityQuorum: [
    'Quorum == {Q \\in SUBSET Members : 2 * Cardinality(Q) > Cardinality(Members)}\n',
    'Quorum == {Q \\in SUBSET Members : Cardinality(Q) >= Cardinality(Members) \\div 2} ' +
      '\\* BUG 6\n',
  ],
};

for (const [name, [from, to]] of Object.entries(bugs)) {
  const count = spec.split(from).length - 1;
  if (count !== 1) throw new Error(`${name}: the change applies ${count} times, not once`);
  const header = /-+ MODULE GroupPaxos -+/;
  if (!header.test(spec)) throw new Error('GroupPaxos header not found');
  const line = `${'-'.repeat(29)} MODULE ${name} ${'-'.repeat(29)}`;
  writeFileSync(join(here, `${name}.tla`), spec.replace(from, to).replace(header, line));
}
