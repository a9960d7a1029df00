/**
 * The head node's behaviour over real connections: take over (Grant from the issuer, Fence F
 * sleds, Repair by writing back the newest block learned under the new epoch), then serve
 * client writes (one pending write per extent, acknowledged at W WriteAcks) and reads. Any
 * Fenced answer for the head's current epoch makes it step down (spec HeadFencedOff).
 */
import { FrameClient, type Result, type TcpError } from '../../runtime/node/index.ts';
import {
  EMPTY_BLOCK,
  issuerReplySchema,
  newer,
  sledReplySchema,
  type Block,
  type Credential,
  type HeadReply,
  type IssuerReply,
  type IssuerRequest,
  type Phase,
  type SledReply,
  type SledRequest,
} from './protocol.ts';
import type { headArgsSchema } from './roles.ts';
import type { z } from 'zod';

type HeadConfig = z.infer<typeof headArgsSchema>;
type ExtentState = {
  phase: Phase;
  credential: Credential | null;
  known: Block;
  /** Serialises the extent's operations: one pending write at a time (spec pending[h]). */
  queue: Promise<unknown>;
};
type QuorumOutcome =
  | { type: 'quorum'; replies: SledReply[] }
  | { type: 'fenced'; reply: SledReply }
  | { type: 'no-quorum'; answered: number; errors: string[] };

export class HeadNode {
  private readonly extents = new Map<number, ExtentState>();
  private readonly sleds: { name: string; client: FrameClient<SledRequest, SledReply> }[];
  private readonly issuer: FrameClient<IssuerRequest, IssuerReply>;

  constructor(private readonly config: HeadConfig) {
    for (const extent of config.extents) {
      this.extents.set(extent, { phase: 'idle', credential: null, known: EMPTY_BLOCK,
        queue: Promise.resolve() });
    }
    const timeoutMs = config.requestTimeoutMs;
    this.sleds = config.sleds.map((s) => ({
      name: s.name,
      client: new FrameClient<SledRequest, SledReply>({ port: s.port,
        responseSchema: sledReplySchema, requestTimeoutMs: timeoutMs,
        reconnectMaxDelayMs: 100 }),
    }));
    this.issuer = new FrameClient<IssuerRequest, IssuerReply>({ port: config.issuerPort,
      responseSchema: issuerReplySchema, requestTimeoutMs: timeoutMs });
  }

  phases(): Record<string, Phase> {
    return Object.fromEntries([...this.extents].map(([e, s]) => [String(e), s.phase]));
  }

  /** Take over every extent of the config; answers once all are serving (or failed). */
  async promote(): Promise<HeadReply> {
    const results = await Promise.all(this.config.extents.map((e) => this.serial(e,
      () => this.takeOver(e))));
    const failed = results.find((r) => !r.ok);
    if (failed !== undefined && !failed.ok) return { type: 'Failed', ...failed.error };
    const epochs: Record<string, number> = {};
    const fenced: Record<string, string[]> = {};
    for (const r of results) {
      if (!r.ok) continue;
      epochs[String(r.value.extent)] = r.value.epoch;
      fenced[String(r.value.extent)] = r.value.fenced;
    }
    return { type: 'Promoted', epochs, fenced };
  }

  write(extent: number, val: string): Promise<HeadReply> {
    return this.serial(extent, () => this.clientWrite(extent, val));
  }

  read(extent: number): HeadReply {
    const state = this.extents.get(extent);
    if (state === undefined) return { type: 'Failed', code: 'no-extent', message: 'not mine' };
    if (state.phase !== 'serving') return { type: 'NotServing', extent, phase: state.phase };
    return { type: 'ReadValue', extent, block: state.known };
  }

  async close(): Promise<void> {
    await Promise.all([this.issuer.close(), ...this.sleds.map((s) => s.client.close())]);
  }

  private serial<T>(extent: number, run: () => Promise<T>): Promise<T> {
    const state = this.extents.get(extent);
    if (state === undefined) throw new Error(`assertion failed: extent ${extent} configured`);
    const next = state.queue.then(run, run);
    state.queue = next.catch(() => undefined);
    return next;
  }

  private async takeOver(extent: number): Promise<Result<{ extent: number; epoch: number;
    fenced: string[] }, { code: string; message: string }>> {
    const state = this.extents.get(extent)!;
    const granted = await this.issuer.request({ type: 'Grant', volume: this.config.volume,
      extent, holder: this.config.name });
    if (!granted.ok) return { ok: false, error: tcpFailure('grant', granted.error) };
    const credential = granted.value.credential;
    Object.assign(state, { phase: 'fencing', credential, known: EMPTY_BLOCK });
    const fence = await this.quorum({ type: 'Fence', credential }, this.config.fenceQuorum,
      'FenceAck');
    if (fence.type !== 'quorum') return { ok: false, error: this.giveUp(state, fence) };
    for (const reply of fence.replies) {
      if (reply.type === 'FenceAck' && newer(reply.block, state.known)) state.known = reply.block;
    }
    state.phase = 'repairing';
    if (state.known.val !== null) {
      const { seq, val } = state.known;
      const repair = await this.quorum({ type: 'Write', credential, seq, val },
        this.config.writeQuorum, 'WriteAck');
      if (repair.type !== 'quorum') return { ok: false, error: this.giveUp(state, repair) };
      state.known = { epoch: credential.epoch, seq, val };
    }
    state.phase = 'serving';
    const fenced = fence.replies.map((r) => ('sled' in r ? r.sled : '?'));
    return { ok: true, value: { extent, epoch: credential.epoch, fenced } };
  }

  private giveUp(state: ExtentState, outcome: QuorumOutcome): { code: string; message: string } {
    if (outcome.type === 'fenced') {
      state.phase = 'stepped-down';
      return { code: 'fenced', message: 'a sled holds a higher epoch' };
    }
    if (outcome.type === 'no-quorum') {
      return { code: 'no-quorum', message: `${outcome.answered} answers: ${outcome.errors[0]}` };
    }
    return { code: 'bug', message: 'unexpected quorum outcome' };
  }

  private async clientWrite(extent: number, val: string): Promise<HeadReply> {
    const state = this.extents.get(extent)!;
    if (state.phase !== 'serving' || state.credential === null) {
      return { type: 'NotServing', extent, phase: state.phase };
    }
    const credential = state.credential;
    const seq = state.known.seq + 1;
    const outcome = await this.quorum({ type: 'Write', credential, seq, val },
      this.config.writeQuorum, 'WriteAck');
    if (outcome.type === 'fenced') {
      state.phase = 'stepped-down';
      return { type: 'Fenced', extent, epoch: credential.epoch };
    }
    if (outcome.type === 'no-quorum') {
      // Burn the seq: a later write must not reuse a version some sled may hold.
      state.known = { ...state.known, seq };
      return { type: 'Failed', code: 'no-quorum', message: `${outcome.answered} answers` };
    }
    state.known = { epoch: credential.epoch, seq, val };
    const sleds = outcome.replies.map((r) => ('sled' in r ? r.sled : '?'));
    return { type: 'WriteAcked', extent, epoch: credential.epoch, seq, sleds };
  }

  /** Send to every sled; settle at `needed` replies of `want`, at a Fenced, or when all fail. */
  private quorum(request: SledRequest, needed: number,
    want: 'FenceAck' | 'WriteAck'): Promise<QuorumOutcome> {
    return new Promise((resolve) => {
      const good: SledReply[] = [];
      const errors: string[] = [];
      let answered = 0;
      let settled = false;
      const settle = (outcome: QuorumOutcome): void => {
        if (!settled) resolve(outcome);
        settled = true;
      };
      for (const sled of this.sleds) {
        void sled.client.request(request).then((reply) => {
          answered += 1;
          if (reply.ok && reply.value.type === want) good.push(reply.value);
          else if (reply.ok && reply.value.type === 'Fenced') settle({ type: 'fenced',
            reply: reply.value });
          else errors.push(reply.ok ? `${sled.name}: ${reply.value.type}`
            : `${sled.name}: ${reply.error.code}`);
          if (good.length >= needed) settle({ type: 'quorum', replies: [...good] });
          if (answered === this.sleds.length) settle({ type: 'no-quorum',
            answered: good.length, errors });
        });
      }
    });
  }
}

function tcpFailure(what: string, error: TcpError): { code: string; message: string } {
  return { code: `${what}-${error.code}`, message: error.message };
}
