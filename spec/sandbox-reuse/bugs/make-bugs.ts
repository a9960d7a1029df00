/**
 * Regenerates the bug modules and configs from ../SandboxReuse.tla: each module is a copy with
 * the textual changes below (each must apply exactly once). Run from the repo root:
 * `npx tsx spec/sandbox-reuse/bugs/make-bugs.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const spec = readFileSync(join(here, '..', 'SandboxReuse.tla'), 'utf8');

interface Bug {
  readonly expected: string;
  readonly changes: readonly [string, string][];
  readonly limitFloor?: number;
}

const bugs: Record<string, Bug> = {
  NonAtomicAcquire: {
    expected: 'NoDoubleBooking',
    limitFloor: 2,
    changes: [[
      'IdleOf(w, k) == {s \\in {w} \\X (1..Capacity) : sbState[s] = "Idle" /\\ Matches(s, k)}',
      '\\* BUG 1: the idle check and the take are two steps: another frontend may have taken s\n' +
        'IdleOf(w, k) == {s \\in {w} \\X (1..Capacity) :\n' +
        '                  sbState[s] \\in {"Idle", "Busy"} /\\ Matches(s, k)}',
    ]],
  },
  FunctionNameMatch: {
    expected: 'TenantIsolation',
    changes: [[
      'Matches(s, k) == sbKind[s] = k\n',
      'Matches(s, k) == sbKind[s] # None /\\ sbKind[s].fn = k.fn \\* BUG 2: the name only\n',
    ]],
  },
  NoResetOnError: {
    expected: 'SingleUseReset',
    changes: [[
      'Fail(r) ==\n  /\\ rState[r] = "running"\n' +
        '  /\\ FreeSandbox(r, AfterRun(sb[r])) /\\ Revoke(r)',
      'Fail(r) ==\n  /\\ rState[r] = "running"\n' +
        '  /\\ FreeSandbox(r, "Idle") /\\ Revoke(r) \\* BUG 3: the error path skips the reset',
    ]],
  },
  TimeoutKeepsCredential: {
    expected: 'CredentialScope',
    changes: [[
      'Timeout(r) ==\n  /\\ rState[r] = "running"\n' +
        '  /\\ FreeSandbox(r, AfterRun(sb[r])) /\\ Revoke(r)',
      'Timeout(r) ==\n  /\\ rState[r] = "running"\n' +
        '  /\\ FreeSandbox(r, AfterRun(sb[r])) /\\ UNCHANGED creds \\* BUG 4: not revoked',
    ]],
  },
  UnboundedProbing: {
    expected: 'BoundedProbes',
    changes: [[
      "  /\\ Len(asked[r]) < MaxProbes\n  /\\ asked' = [asked EXCEPT ![r] = Append(@, w)]\n",
      '  \\* BUG 5: no threshold; after the last worker manager the frontend starts over\n' +
        "  /\\ asked' = [asked EXCEPT ![r] =\n" +
        '                IF Len(@) + 1 = Cardinality(Workers) THEN <<>> ELSE Append(@, w)]\n',
    ]],
  },
  DoubleRelease: {
    expected: 'WithinLimits',
    changes: [[
      '            /\\ UNCHANGED <<store, inflight>>\n',
      "            /\\ inflight' = [inflight EXCEPT ![Tenant(r)] = Dec(@)] \\* BUG 6: released\n" +
        '            /\\ UNCHANGED store \\* on the failed attempt, and again at the end\n',
    ]],
  },
};

function cfg(b: Bug): string {
  return [
    `\\* Bug variant: TLC must report ${b.expected} violated.`,
    'CONSTANTS',
    '  Workers = {w1, w2}', '  Capacity = 1', '  Requests = {r1, r2}', '  Fn = f',
    '  Versions = {1}', '  Tenants = {ta, tb}', '  MaxProbes = 1', '  MaxRetries = 1',
    '  MaxRedrives = 1', '  SingleUse = TRUE', `  LimitFloor = ${b.limitFloor ?? 1}`,
    '  LimitMax = 2', '  None = None',
    'INIT Init', 'NEXT Next', 'SYMMETRY Symmetry', 'INVARIANTS',
    '  TypeOK', '  NoDoubleBooking', '  TenantIsolation', '  SingleUseReset',
    '  CredentialScope', '  BoundedProbes', '  WithinLimits', '  NoLostRequest', '',
  ].join('\n');
}

for (const [name, bug] of Object.entries(bugs)) {
  let body = spec;
  for (const [from, to] of bug.changes) {
    const count = body.split(from).length - 1;
    if (count !== 1) throw new Error(`${name}: a change applies ${count} times, not once`);
    body = body.replace(from, to);
  }
  const title = ` MODULE ${name} `;
  const pad = 77 - title.length;
  const header = '-'.repeat(Math.floor(pad / 2)) + title + '-'.repeat(Math.ceil(pad / 2));
  writeFileSync(join(here, `${name}.tla`), `${header}\n${body.split('\n').slice(1).join('\n')}`);
  writeFileSync(join(here, `${name}.cfg`), cfg(bug));
  console.log(`wrote ${name}.tla ${name}.cfg (expects ${bug.expected})`);
}
