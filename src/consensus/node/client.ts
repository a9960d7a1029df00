/**
 * `transact(...)` over real groups: hands a transaction to a proposer and resolves it exactly
 * once, before its deadline (the txn client core decides when). If the proposer goes away
 * mid-transaction the client asks the next proposer to finish it (Await: recovery, then the
 * decision the groups' votes fix). Shortly before the deadline it asks the proposer to give up
 * (AbortVote where no vote is chosen): `aborted` is said only once some group's chosen vote is
 * Aborted, `committed` only once every group chose Commit; if neither is fixed by the deadline
 * (a group unreachable) it resolves `in-doubt` and recovery finishes the transaction later.
 */
import { FrameClient, type Result } from '../../runtime/node/index.ts';
import {
  abandonAll, initClient, nextWakeMs, submit, tick, told, type ClientEffect, type ClientState,
  type TransactResult,
} from '../../txn/client.ts';
import { TxnSpecSchema, type Op, type TxnSpec } from '../../txn/entries.ts';
import type { Outcome } from '../../txn/messages.ts';
import {
  ProposerReplySchema, type Endpoint, type ProposerReply, type ProposerRequest,
} from './wire.ts';

export type { TransactResult };
export interface TransactError {
  readonly code: 'bad-transaction' | 'deadline-passed' | 'duplicate-txn';
  readonly message: string;
}
export interface TransactOptions {
  /** How long the client waits at most (ms from now). */
  readonly timeoutMs: number;
  /** The transaction id (default: a fresh one). */
  readonly id?: string;
  /**
   * Resolve this long before the deadline (default 25 ms): the timer that resolves at the
   * deadline runs on the event loop, which a loaded machine delays (up to ~25 ms measured on
   * a 2-core host at load 22).
   */
  readonly marginMs?: number;
}
type Pending = { resolve: (r: TransactResult) => void };

const DEFAULT_MARGIN_MS = 25;

export class TxnClient {
  private core: ClientState = initClient();
  private readonly pending = new Map<string, Pending>();
  private readonly clients: FrameClient<ProposerRequest, ProposerReply>[];
  private current = 0;
  private nextId = 1;
  /** The one timer that ticks the core at `nextWakeMs` (give-up times and deadlines). */
  private wake: { atMs: number; timer: NodeJS.Timeout } | undefined;

  constructor(proposers: readonly Endpoint[], private readonly name = 'c') {
    if (proposers.length === 0) throw new Error('assertion: at least one proposer');
    this.clients = proposers.map((p) => new FrameClient<ProposerRequest, ProposerReply>({
      host: p.host, port: p.port, responseSchema: ProposerReplySchema, maxPending: 4096,
      reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 200, maxReconnectAttempts: 3,
    }));
  }

  /** Prefer proposer `index` for the next transactions. */
  use(index: number): void {
    this.current = index % this.clients.length;
  }

  async transact(ops: readonly Op[], opts: TransactOptions):
    Promise<Result<TransactResult, TransactError>> {
    const parsed = TxnSpecSchema.safeParse({ id: opts.id ?? `${this.name}-${this.nextId++}`,
      ops });
    if (!parsed.success) {
      const message = parsed.error.issues[0]?.message ?? 'invalid transaction';
      return { ok: false, error: { code: 'bad-transaction', message } };
    }
    const nowMs = Date.now();
    const marginMs = Math.min(opts.marginMs ?? DEFAULT_MARGIN_MS, opts.timeoutMs / 2);
    const deadlineMs = nowMs + opts.timeoutMs - marginMs;
    const sub = submit(this.core, parsed.data, deadlineMs, nowMs);
    if (!sub.ok) return { ok: false, error: sub.error };
    this.core = sub.step.state;
    const done = new Promise<TransactResult>((resolve) => {
      this.pending.set(parsed.data.id, { resolve });
    });
    this.effects(sub.step.effects, deadlineMs);
    this.schedule();
    return { ok: true, value: await done };
  }

  /** Resolves every pending transaction (as not decided) and closes the connections. */
  async close(): Promise<void> {
    const step = abandonAll(this.core);
    this.core = step.state;
    this.effects(step.effects, 0);
    this.schedule();
    await Promise.all(this.clients.map((c) => c.close()));
  }

  /** (Re)arm the timer for the core's next wake time; none when nothing is pending. */
  private schedule(): void {
    const atMs = nextWakeMs(this.core);
    if (this.wake !== undefined && this.wake.atMs === atMs) return;
    if (this.wake !== undefined) clearTimeout(this.wake.timer);
    this.wake = undefined;
    if (atMs === undefined) return;
    const timer = setTimeout(() => this.onWake(atMs), Math.max(0, atMs - Date.now()));
    this.wake = { atMs, timer };
  }

  private onWake(atMs: number): void {
    this.wake = undefined;
    // A timer never fires early by the event loop's clock; Date.now() may lag it by a ms.
    const step = tick(this.core, Math.max(Date.now(), atMs));
    this.core = step.state;
    this.effects(step.effects, atMs);
    this.schedule();
  }

  private effects(effects: readonly ClientEffect[], deadlineMs: number): void {
    for (const e of effects) {
      switch (e.type) {
        case 'begin': void this.run(e.txn, deadlineMs); break;
        case 'resolve': {
          const p = this.pending.get(e.result.txnId);
          if (p === undefined) break;
          this.pending.delete(e.result.txnId);
          p.resolve(e.result);
          break;
        }
        case 'give-up': void this.giveUp(e.txnId); break;
        default: {
          const never: never = e;
          throw new Error(`assertion: unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  private told(txnId: string, outcome: Outcome): void {
    const step = told(this.core, txnId, outcome);
    this.core = step.state;
    this.effects(step.effects, 0);
    this.schedule();
  }

  /** Begin at the current proposer; on a lost proposer, Await the decision at the next ones. */
  private async run(txn: TxnSpec, deadlineMs: number): Promise<void> {
    const first = this.current;
    let delivered = false;
    for (let i = 0; i < this.clients.length; i += 1) {
      const at = (first + i) % this.clients.length;
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0 || !this.pending.has(txn.id)) return;
      const req: ProposerRequest = !delivered
        ? { type: 'Begin', txn, waitMs: leftMs, lc: 1 }
        : { type: 'Await', txnId: txn.id, waitMs: leftMs };
      const r = await this.clients[at]!.request(req, leftMs);
      if (r.ok && r.value.type === 'Outcome') {
        this.told(txn.id, r.value.outcome);
        return;
      }
      if (r.ok) return; // Pending: the deadline resolves it
      if (r.error.code === 'timeout') return;
      // A Begin that may have arrived (lost in flight) is finished by recovery elsewhere.
      if (r.error.code === 'disconnected' || r.error.code === 'remote-error') delivered = true;
      if (at === this.current) this.current = (this.current + 1) % this.clients.length;
    }
  }

  /**
   * The client gave up: ask a proposer to recover t (AbortVote where no vote is chosen). An
   * outcome it tells before the deadline is passed on; otherwise the deadline resolves t.
   */
  private async giveUp(txnId: string): Promise<void> {
    const c = this.clients[this.current]!;
    const r = await c.request({ type: 'Await', txnId, waitMs: 1 }, 500);
    if (r.ok && r.value.type === 'Outcome') this.told(txnId, r.value.outcome);
  }
}
