/**
 * The WAL auditor: after a run (every process stopped) it reads each member's WAL directory,
 * rebuilds each group's chosen log from the acceptors' records alone (an entry is chosen in a
 * slot when a majority of the group's members accepted it there in one ballot: the spec's
 * ChosenIn), replays the log through the participant state machine, and checks:
 * - ChosenUnique: no slot has two different entries chosen (in any ballots);
 * - LearnedAgree: every chosen entry a member recorded as learned is the one chosen there
 *   (so no two members hold different chosen entries at a slot);
 * - Atomicity: no transaction committed in one group and aborted in another;
 * - CommitNeedsAllVotes: a transaction committed anywhere was voted Prepared in every group;
 * - Conservation: the sum of all balances is what it was at the start;
 * - ToldCommittedDurable: every transaction a client was told committed has Commit chosen,
 *   accepted in the WALs of a majority, in every group it touches; told aborted (decided)
 *   means committed nowhere.
 */
import { openWal } from '../../runtime/node/wal.ts';
import { ballotKey, canonicalEntry, majority, type Entry } from '../messages.ts';
import { groupsOf, parseEntry, type TxnSpec } from '../../txn/entries.ts';
import {
  apply as applyEntry, initParticipant, type ParticipantState,
} from '../../txn/participant.ts';
import type { TransactResult } from '../../txn/client.ts';
import { decodeRecords } from './member-wal.ts';
import type { MemberWalRecord } from './wire.ts';

export interface AuditGroup {
  /** member id -> its WAL directory */
  readonly members: Readonly<Record<string, string>>;
  /** account -> initial balance */
  readonly balances: Readonly<Record<string, number>>;
}
export interface AuditCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}
export interface GroupLog {
  readonly chosen: Map<number, Entry>;
  /** slots 1..gapAt-1 are all chosen; later chosen slots cannot be applied yet */
  readonly gapAt: number;
  readonly replica: ParticipantState;
}
export interface AuditReport {
  readonly ok: boolean;
  readonly checks: AuditCheck[];
  readonly logs: Record<string, GroupLog>;
  readonly figures: Record<string, number>;
}

async function readMember(dir: string): Promise<MemberWalRecord[] | string> {
  const opened = await openWal(dir);
  if (!opened.ok) return `${dir}: ${opened.error.message}`;
  const raw = await opened.value.replay();
  await opened.value.close();
  if (!raw.ok) return `${dir}: ${raw.error.message}`;
  const recs = decodeRecords(raw.value);
  return recs.ok ? recs.value : `${dir}: ${recs.error.message}`;
}

interface Problems { chosen: string[]; learned: string[]; read: string[] }

function chosenFrom(perMember: Record<string, MemberWalRecord[]>, size: number,
  group: string, problems: Problems): Map<number, Entry> {
  const votes = new Map<string, { slot: number; value: Entry; from: Set<string> }>();
  for (const [m, recs] of Object.entries(perMember)) {
    for (const r of recs) {
      if (r.kind !== 'accept') continue;
      const key = `${r.slot}|${ballotKey(r.ballot)}`;
      const v = votes.get(key) ?? { slot: r.slot, value: r.value, from: new Set<string>() };
      if (canonicalEntry(v.value) !== canonicalEntry(r.value)) {
        problems.chosen.push(`${group} slot ${r.slot}: two values in one ballot`);
      }
      v.from.add(m);
      votes.set(key, v);
    }
  }
  const chosen = new Map<number, Entry>();
  for (const v of votes.values()) {
    if (v.from.size < majority(size)) continue;
    const had = chosen.get(v.slot);
    if (had !== undefined && canonicalEntry(had) !== canonicalEntry(v.value)) {
      problems.chosen.push(`${group} slot ${v.slot}: two values chosen`);
    }
    chosen.set(v.slot, v.value);
  }
  for (const [m, recs] of Object.entries(perMember)) {
    for (const r of recs) {
      if (r.kind !== 'chosen') continue;
      const c = chosen.get(r.slot);
      if (c === undefined || canonicalEntry(c) !== canonicalEntry(r.value)) {
        problems.learned.push(`${group}/${m} slot ${r.slot}: learned an entry not chosen there`);
      }
    }
  }
  return chosen;
}

function replay(group: string, balances: Record<string, number>, chosen: Map<number, Entry>):
  { replica: ParticipantState; gapAt: number; txns: Map<string, TxnSpec> } {
  let replica = initParticipant(group, balances);
  const txns = new Map<string, TxnSpec>();
  let slot = 1;
  for (; chosen.has(slot); slot += 1) {
    const parsed = parseEntry(chosen.get(slot));
    if (!parsed.ok) continue; // the leader's no-op
    if (parsed.entry.type === 'Prepare') txns.set(parsed.entry.txn.id, parsed.entry.txn);
    replica = applyEntry(replica, parsed.entry).state;
  }
  return { replica, gapAt: slot, txns };
}

export async function auditWals(
  groups: Readonly<Record<string, AuditGroup>>, told: readonly TransactResult[],
): Promise<AuditReport> {
  const problems: Problems = { chosen: [], learned: [], read: [] };
  const logs: Record<string, GroupLog> = {};
  const txns = new Map<string, TxnSpec>();
  let records = 0;
  for (const [g, spec] of Object.entries(groups)) {
    const perMember: Record<string, MemberWalRecord[]> = {};
    for (const [m, dir] of Object.entries(spec.members)) {
      const r = await readMember(dir);
      if (typeof r === 'string') problems.read.push(r);
      else perMember[m] = r;
      records += typeof r === 'string' ? 0 : r.length;
    }
    const chosen = chosenFrom(perMember, Object.keys(spec.members).length, g, problems);
    const rep = replay(g, { ...spec.balances }, chosen);
    for (const [id, t] of rep.txns) txns.set(id, t);
    logs[g] = { chosen, gapAt: rep.gapAt, replica: rep.replica };
  }
  const checks: AuditCheck[] = [
    check('WalsReadable', problems.read),
    check('ChosenUnique', problems.chosen),
    check('LearnedAgree', problems.learned),
    ...outcomeChecks(groups, logs, txns, told),
  ];
  const figures = figuresOf(logs, txns, records);
  return { ok: checks.every((c) => c.ok), checks, logs, figures };
}

function check(name: string, problems: readonly string[]): AuditCheck {
  return { name, ok: problems.length === 0,
    detail: problems.length === 0 ? 'ok'
      : `${problems.length}: ${problems.slice(0, 3).join('; ')}` };
}

function outcomeChecks(groups: Readonly<Record<string, AuditGroup>>,
  logs: Record<string, GroupLog>, txns: Map<string, TxnSpec>,
  told: readonly TransactResult[]): AuditCheck[] {
  const atomicity: string[] = [];
  const votes: string[] = [];
  for (const [id, t] of txns) {
    const ds = groupsOf(t).map((g) => logs[g]?.replica.decisions[id]);
    if (ds.includes('commit') && ds.includes('abort')) atomicity.push(`${id}: commit and abort`);
    const unvoted = groupsOf(t).filter((g) => logs[g]?.replica.votes[id] !== 'prepared');
    if (ds.includes('commit') && unvoted.length > 0) votes.push(`${id}: no Prepared in ${unvoted}`);
  }
  let before = 0;
  let after = 0;
  for (const [g, spec] of Object.entries(groups)) {
    before += Object.values(spec.balances).reduce((a, b) => a + b, 0);
    after += Object.values(logs[g]?.replica.balances ?? {}).reduce((a, b) => a + b, 0);
  }
  const durable: string[] = [];
  for (const r of told) {
    const t = txns.get(r.txnId);
    if (r.outcome === 'committed') {
      const missing = t === undefined ? ['?'] : groupsOf(t)
        .filter((g) => logs[g]?.replica.decisions[r.txnId] !== 'commit');
      if (missing.length > 0) durable.push(`${r.txnId}: told committed, no Commit in ${missing}`);
    } else if (r.decided && t !== undefined &&
      groupsOf(t).some((g) => logs[g]?.replica.decisions[r.txnId] === 'commit')) {
      durable.push(`${r.txnId}: told aborted but committed`);
    }
  }
  return [
    check('Atomicity', atomicity),
    check('CommitNeedsAllVotes', votes),
    check('Conservation', before === after ? [] : [`sum ${before} before, ${after} after`]),
    check('ToldOutcomesDurable', durable),
  ];
}

function figuresOf(logs: Record<string, GroupLog>, txns: Map<string, TxnSpec>, records: number):
  Record<string, number> {
  let committed = 0;
  let aborted = 0;
  let undecided = 0;
  for (const [id, t] of txns) {
    const ds = groupsOf(t).map((g) => logs[g]?.replica.decisions[id]);
    if (ds.every((d) => d === 'commit')) committed += 1;
    else if (ds.some((d) => d === 'abort')) aborted += 1;
    else undecided += 1;
  }
  const unapplied = Object.values(logs).reduce((n, l) =>
    n + [...l.chosen.keys()].filter((s) => s >= l.gapAt).length, 0);
  return { walRecords: records, txnsSeen: txns.size, committed, aborted, undecided, unapplied };
}
