/**
 * Regenerates the bug modules from ../CrossGroupTxn.tla: each is a copy with ONE textual change,
 * renamed, with the bank-transfer workload of ../MCCrossGroupTxn.tla appended (so a bug's .cfg
 * names the module alone). Run from the repo root:
 * `npx tsx spec/consensus-txn/bugs/make-txn-bugs.ts`. Fails if a change no longer applies exactly
 * once (the spec moved: update the change here).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const spec = readFileSync(join(here, '..', 'CrossGroupTxn.tla'), 'utf8');
const mc = readFileSync(join(here, '..', 'MCCrossGroupTxn.tla'), 'utf8');
const workload = mc.slice(mc.indexOf('EXTENDS CrossGroupTxn') + 'EXTENDS CrossGroupTxn'.length,
  mc.indexOf('\n===='));

const bugs: Record<string, [string, string]> = {
  MajorityCommit: [
    'Outcome(p, t) == IF AllPrepared(t) THEN "Commit" ELSE "Abort"\n',
    'Outcome(p, t) == \\* BUG 1: a majority of t\'s groups voting Prepared commits t\n' +
      '  IF 2 * Cardinality({g \\in GroupsOf(t) : rep[g].vote[t] = "prepared"})\n' +
      '       > Cardinality(GroupsOf(t)) THEN "Commit" ELSE "Abort"\n',
  ],
  LocalDecision: [
    'Outcome(p, t) == IF AllPrepared(t) THEN "Commit" ELSE "Abort"\n',
    'Outcome(p, t) == \\* BUG 2: plain 2PC: only t\'s proposer knows the decision; others abort\n' +
      '  IF p = owner[t] /\\ AllPrepared(t) THEN "Commit" ELSE "Abort"\n',
  ],
  EarlyUnlock: [
    '       THEN [r EXCEPT !.vote[t] = "prepared", !.locked = @ \\cup {t}]\n',
    '       THEN [r EXCEPT !.vote[t] = "prepared"] \\* BUG 5: locks released at Prepare\n',
  ],
};

for (const [name, [from, to]] of Object.entries(bugs)) {
  const count = spec.split(from).length - 1;
  if (count !== 1) throw new Error(`${name}: the change applies ${count} times, not once`);
  const header = spec.slice(0, spec.indexOf('\n'));
  const title = ` MODULE ${name} `;
  const dashes = Math.max(4, Math.floor((header.length - title.length) / 2));
  let text = spec.replace(from, to).slice(spec.indexOf('\n'));
  text = '-'.repeat(dashes) + title + '-'.repeat(dashes) + text;
  const end = text.indexOf('\n====') + 1;
  const tail = text.slice(end);
  text = text.slice(0, end) + '-'.repeat(77) + '\n\\* The bank-transfer workload of MCCrossGroupTxn.tla:' +
    workload.trimEnd() + '\n' + tail;
  writeFileSync(join(here, `${name}.tla`), text);
}
