/**
 * An in-process driver: abstract consensus groups (a proposal is chosen in the next slot at
 * once, unless a fault hook drops it), proposers and one client, on a logical clock. It
 * makes `transact(ops, { deadlineMs })` runnable without a network, for the README and tests.
 */
import { TxnSpecSchema, type Entry, type Op, type TxnSpec } from './entries.ts';
import { apply, initParticipant, type ParticipantState } from './participant.ts';
import { initProposer, type ProposerState } from './proposer.ts';
import { proposerStep } from './step.ts';
import {
  initClient, submit, tick as clientTick, told, type ClientEffect, type ClientState,
  type TransactResult,
} from './client.ts';
import type { ProposerEffect, ProposerInput } from './messages.ts';

export interface MemoryOptions {
  /** account -> { group, initial balance } */
  readonly accounts: Readonly<Record<string, { group: string; initial: number }>>;
  readonly proposers?: readonly string[];
  readonly retryMs?: number;
  readonly recoverAfterMs?: number;
  /** The client asks its proposer to give up this long before a transaction's deadline. */
  readonly abortMarginMs?: number;
  /** Fault hook: return true to lose this proposal (it is not chosen). */
  readonly drop?: (group: string, entry: Entry) => boolean;
}
export interface TransactError {
  readonly code: 'bad-transaction' | 'deadline-passed' | 'duplicate-txn' | 'no-proposer';
  readonly message: string;
}

export class MemoryTxnSystem {
  nowMs = 0;
  readonly groups: Record<string, { log: Entry[]; replica: ParticipantState }> = {};
  readonly proposers: Record<string, ProposerState> = {};
  readonly alive: Record<string, boolean> = {};
  private client: ClientState;
  private readonly results = new Map<string, TransactResult>();
  private readonly owner = new Map<string, string>();
  private nextId = 1;

  constructor(private readonly options: MemoryOptions) {
    this.client = initClient(options.abortMarginMs === undefined ? {}
      : { abortMarginMs: options.abortMarginMs });
    for (const [key, a] of Object.entries(options.accounts)) {
      const g = this.groups[a.group] ??= { log: [], replica: initParticipant(a.group, {}) };
      g.replica = { ...g.replica, balances: { ...g.replica.balances, [key]: a.initial } };
    }
    for (const id of options.proposers ?? ['p1', 'p2']) {
      this.proposers[id] = initProposer({
        id, retryMs: options.retryMs ?? 10, recoverAfterMs: options.recoverAfterMs ?? 50,
      });
      this.alive[id] = true;
    }
  }

  /** Runs one transaction to its outcome or its deadline (on the logical clock): resolves
   * `committed` / `aborted` as told, or `in-doubt` (decided: false) at the deadline. */
  async transact(
    ops: readonly Omit<Op, 'group'>[], opts: { deadlineMs: number; proposer?: string; id?: string },
  ): Promise<{ ok: true; result: TransactResult } | { ok: false; error: TransactError }> {
    const sub = this.submit(ops, opts);
    if (!sub.ok) return sub;
    while (this.result(sub.txnId) === undefined) this.advance(1);
    return { ok: true, result: this.result(sub.txnId)! };
  }

  /** Hands a transaction to a proposer and runs what follows at once; does not wait. */
  submit(
    ops: readonly Omit<Op, 'group'>[], opts: { deadlineMs: number; proposer?: string; id?: string },
  ): { ok: true; txnId: string } | { ok: false; error: TransactError } {
    const proposer = opts.proposer ?? Object.keys(this.alive).find((p) => this.alive[p]);
    if (proposer === undefined || !this.alive[proposer]) {
      return { ok: false, error: { code: 'no-proposer', message: 'no live proposer' } };
    }
    const withGroups = ops.map((o) => ({ ...o, group: this.options.accounts[o.key]?.group ?? '' }));
    const id = opts.id ?? `tx${this.nextId++}`;
    const parsed = TxnSpecSchema.safeParse({ id, ops: withGroups });
    if (!parsed.success || withGroups.some((o) => o.group === '')) {
      const message = parsed.success ? 'unknown account' : parsed.error.issues[0]?.message ?? 'bad';
      return { ok: false, error: { code: 'bad-transaction', message } };
    }
    const sub = submit(this.client, parsed.data, opts.deadlineMs, this.nowMs);
    if (!sub.ok) return { ok: false, error: sub.error };
    this.owner.set(parsed.data.id, proposer);
    this.client = sub.step.state;
    this.clientEffects(sub.step.effects);
    return { ok: true, txnId: parsed.data.id };
  }

  /** The client's result for a transaction, once resolved. */
  result(txnId: string): TransactResult | undefined {
    return this.results.get(txnId);
  }

  /** Advances the logical clock and delivers ticks to the live proposers and the client. */
  advance(ms: number): void {
    this.nowMs += ms;
    for (const p of Object.keys(this.proposers)) {
      this.deliver(p, { type: 'tick', nowMs: this.nowMs });
    }
    const c = clientTick(this.client, this.nowMs);
    this.client = c.state;
    this.clientEffects(c.effects);
  }

  crash(proposer: string): void {
    this.alive[proposer] = false;
  }

  /** The balance of an account as its group's replica holds it. */
  balance(key: string): number {
    const g = this.options.accounts[key]?.group;
    return g === undefined ? 0 : (this.groups[g]?.replica.balances[key] ?? 0);
  }

  private clientEffects(effects: readonly ClientEffect[]): void {
    for (const e of effects) {
      if (e.type === 'begin') this.deliver(this.owner.get(e.txn.id)!, this.begin(e.txn));
      else if (e.type === 'resolve') this.results.set(e.result.txnId, e.result);
      else {
        const input = { type: 'recover', txnId: e.txnId, nowMs: this.nowMs } as const;
        this.deliver(this.owner.get(e.txnId)!, input);
      }
    }
  }

  private begin(txn: TxnSpec): ProposerInput {
    return { type: 'begin', txn, nowMs: this.nowMs };
  }

  private deliver(p: string, input: ProposerInput): void {
    if (!this.alive[p]) return;
    const r = proposerStep(this.proposers[p]!, input);
    this.proposers[p] = r.state;
    for (const e of r.effects) this.effect(p, e);
  }

  private effect(p: string, e: ProposerEffect): void {
    if (e.type === 'outcome') {
      if (this.owner.get(e.txnId) !== p) return;
      const c = told(this.client, e.txnId, e.outcome);
      this.client = c.state;
      this.clientEffects(c.effects);
      return;
    }
    const g = this.groups[e.group];
    if (g === undefined || this.options.drop?.(e.group, e.entry) === true) return;
    const slot = g.log.length;
    const r = apply(g.replica, e.entry);
    g.log.push(e.entry);
    g.replica = r.state;
    for (const q of Object.keys(this.proposers)) {
      this.deliver(q, { type: 'applied', group: e.group, slot, entry: e.entry, result: r.result,
        nowMs: this.nowMs });
    }
  }
}
