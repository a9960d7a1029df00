/**
 * One member of a consensus group, without I/O of its own: the acceptor core behind a durable
 * log, plus the learner side (chosen entries a proposer announces, kept durable too, and served
 * to observers by a long-poll read). Every answer leaves only after the log append that covers
 * it resolved: a reply that carries no record of its own waits for the last append started
 * before it (appends complete in order), so nothing is said that a crash could take back.
 * A failed append stops the member (`onFatal`): its log's tail is unknown until it reopens.
 */
import {
  applyRecord, initAcceptor, onAccept, onPrepare, type AcceptorState,
} from '../acceptor.ts';
import type { Entry, Message } from '../messages.ts';
import type { Result } from '../../runtime/node/result.ts';
import type {
  ChosenItem, MemberReply, MemberRequest, MemberWalRecord,
} from './wire.ts';

export interface LogError {
  readonly code: string;
  readonly message: string;
}
/** Where a member's records go: resolves once the record is durable (group commit below). */
export interface DurableLog {
  append(record: MemberWalRecord): Promise<Result<void, LogError>>;
}

export interface MemberStats {
  paxosMsgs: number;
  chosenLearned: number;
  appends: number;
  refusedDecode: number;
}

type AcceptorMsgOut = Extract<MemberReply, { type: 'Paxos' }>['msgs'][number];

export class Member {
  readonly stats: MemberStats = { paxosMsgs: 0, chosenLearned: 0, appends: 0, refusedDecode: 0 };
  private acceptor: AcceptorState;
  private readonly chosen = new Map<number, Entry>();
  private lastAppend: Promise<Result<void, LogError>> =
    Promise.resolve({ ok: true, value: undefined });
  private readonly waiters = new Set<() => void>();
  private failed: LogError | null = null;

  constructor(
    readonly id: string,
    private readonly log: DurableLog,
    recovered: readonly MemberWalRecord[] = [],
    private readonly onFatal: (e: LogError) => void = () => undefined,
  ) {
    this.acceptor = initAcceptor(id);
    for (const r of recovered) this.recover(r);
  }

  private recover(r: MemberWalRecord): void {
    if (r.kind === 'chosen') {
      this.chosen.set(r.slot, r.value);
      return;
    }
    this.acceptor = { ...this.acceptor, durable: applyRecord(this.acceptor.durable, r) };
  }

  /** The acceptor's durable state (for tests). */
  get acceptorState(): AcceptorState {
    return this.acceptor;
  }

  /** The chosen entries this member learned, by slot. */
  chosenEntries(): ReadonlyMap<number, Entry> {
    return this.chosen;
  }

  private append(record: MemberWalRecord): Promise<Result<void, LogError>> {
    this.stats.appends += 1;
    const p = this.log.append(record).then((r) => {
      if (!r.ok && this.failed === null) {
        this.failed = r.error;
        this.onFatal(r.error);
      }
      return r;
    });
    this.lastAppend = p;
    return p;
  }

  async handle(req: MemberRequest): Promise<MemberReply> {
    if (this.failed !== null) return refused('log-failed', this.failed.message);
    switch (req.type) {
      case 'Paxos': return this.paxos(req.from, req.lc, req.msgs);
      case 'Chosen': return this.learn(req.lc, req.items);
      case 'Log': return this.read(req.fromSlot, req.waitMs, req.max);
      default: {
        const never: never = req;
        throw new Error(`assertion: unknown request ${JSON.stringify(never)}`);
      }
    }
  }

  private async paxos(
    from: string, lc: number, msgs: Extract<MemberRequest, { type: 'Paxos' }>['msgs'],
  ): Promise<MemberReply> {
    const out: AcceptorMsgOut[] = [];
    const appends: Promise<Result<void, LogError>>[] = [];
    for (const msg of msgs) {
      this.stats.paxosMsgs += 1;
      const step = msg.type === 'Prepare'
        ? onPrepare(this.acceptor, from, msg)
        : onAccept(this.acceptor, from, [], msg);
      this.acceptor = step.state;
      for (const e of step.effects) {
        if (e.type === 'persist') appends.push(this.append(e.record));
        else out.push(asReply(e.msg));
      }
    }
    const results = appends.length > 0 ? await Promise.all(appends) : [await this.lastAppend];
    const bad = results.find((r) => !r.ok);
    if (bad !== undefined && !bad.ok) return refused(bad.error.code, bad.error.message);
    return { type: 'Paxos', lc: lc + 1, msgs: out };
  }

  private async learn(lc: number, items: readonly ChosenItem[]): Promise<MemberReply> {
    const appends: Promise<Result<void, LogError>>[] = [];
    for (const it of items) {
      if (this.chosen.has(it.slot)) continue;
      this.chosen.set(it.slot, it.value);
      this.stats.chosenLearned += 1;
      appends.push(this.append({ kind: 'chosen', slot: it.slot, value: it.value }));
    }
    const results = appends.length > 0 ? await Promise.all(appends) : [await this.lastAppend];
    for (const w of [...this.waiters]) w();
    const bad = results.find((r) => !r.ok);
    if (bad !== undefined && !bad.ok) return refused(bad.error.code, bad.error.message);
    return { type: 'Ack', lc: lc + 1 };
  }

  private consecutive(fromSlot: number, max: number): ChosenItem[] {
    const items: ChosenItem[] = [];
    for (let s = fromSlot; items.length < max; s += 1) {
      const value = this.chosen.get(s);
      if (value === undefined) break;
      items.push({ slot: s, value });
    }
    return items;
  }

  /** Long-poll: the consecutive chosen entries from `fromSlot`, waiting up to waitMs for one. */
  private async read(fromSlot: number, waitMs: number, max: number): Promise<MemberReply> {
    let items = this.consecutive(fromSlot, max);
    if (items.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        this.waiters.add(done);
      });
      items = this.consecutive(fromSlot, max);
    }
    return { type: 'Log', items };
  }
}

function asReply(msg: Message): AcceptorMsgOut {
  if (msg.type === 'Promise' || msg.type === 'Accepted' || msg.type === 'Preempted') return msg;
  throw new Error(`assertion: an acceptor answered ${msg.type}`);
}

function refused(code: string, message: string): MemberReply {
  return { type: 'Refused', code: code.slice(0, 64), message: message.slice(0, 512) };
}
