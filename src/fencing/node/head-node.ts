/**
 * The head node's driver: one core `head` state (src/fencing/head.ts) per extent, fed by real
 * connections. Every input is one call of a core step function, and the driver only carries out
 * the effects it returns:
 *   Grant from the issuer        -> takeOver          (send Fence to every sled)
 *   FenceAck                     -> headFenced, then repair once canRepair (send Write)
 *   client write                 -> clientWrite       (send Write to every sled)
 *   WriteAck                     -> headAck           (reply writeAcked / serving)
 *   Fenced                       -> headFencedOff     (reply writeFailed / steppedDown)
 *   client read                  -> clientRead
 * `send` effects go out as frames to the sled named; the sled's answer comes back as the next
 * input. The network may lose a frame (timeout, lost connection): the driver sends it again
 * while the core still waits for that sled's answer (the spec keeps every message in `msgs`,
 * so a redelivery is one of its behaviours). Client writes of one extent wait in a FIFO for
 * `canClientWrite` (the core takes one pending write per extent). Quorums, takeover, repair and
 * step-down are the core's; nothing here decides them.
 */
import {
  head as core,
  type ClientReply,
  type HeadEffect,
  type HeadState,
  type Message,
} from '../index.ts';
import { FrameClient } from '../../runtime/node/index.ts';
import type { headArgsSchema } from './roles.ts';
import {
  issuerReplySchema,
  sledReplySchema,
  type HeadReply,
  type IssuerReply,
  type IssuerRequest,
  type SledReply,
  type SledRequest,
} from './wire.ts';
import type { z } from 'zod';

type HeadConfig = z.infer<typeof headArgsSchema>;
type Resolve = (reply: HeadReply) => void;
type PromoteOutcome =
  | { ok: true; epoch: number; fenced: string[]; grantToServingMs: number }
  | { ok: false; code: string; message: string };
type Slot = {
  extent: number;
  state: HeadState;
  queue: { val: string; resolve: Resolve }[];
  writing: Resolve | null;
  promoting: ((outcome: PromoteOutcome) => void) | null;
  grantAtMs: number;
};

export class HeadNode {
  readonly stats = { sends: 0, resends: 0, refusals: 0, lostAnswers: 0 };
  private readonly slots = new Map<number, Slot>();
  private readonly sleds = new Map<string, FrameClient<SledRequest, SledReply>>();
  private readonly issuer: FrameClient<IssuerRequest, IssuerReply>;

  constructor(private readonly config: HeadConfig) {
    const coreConfig = { id: config.name, sleds: config.sleds.map((s) => s.name),
      w: config.writeQuorum, f: config.fenceQuorum };
    for (const extent of config.extents) {
      this.slots.set(extent, { extent, state: core.initHead(coreConfig), queue: [],
        writing: null, promoting: null, grantAtMs: 0 });
    }
    const requestTimeoutMs = config.requestTimeoutMs;
    for (const s of config.sleds) {
      this.sleds.set(s.name, new FrameClient<SledRequest, SledReply>({ host: s.host, port: s.port,
        responseSchema: sledReplySchema, requestTimeoutMs, reconnectMaxDelayMs: 100 }));
    }
    this.issuer = new FrameClient<IssuerRequest, IssuerReply>({ host: config.issuerHost,
      port: config.issuerPort,
      responseSchema: issuerReplySchema, requestTimeoutMs });
  }

  phases(): Record<string, HeadState['phase']> {
    return Object.fromEntries([...this.slots].map(([e, s]) => [String(e), s.state.phase]));
  }

  /** Take over every extent (Grant, fence, repair); answers once all serve or one failed. */
  async promote(): Promise<HeadReply> {
    const outcomes = await Promise.all([...this.slots.values()].map((s) => this.takeOver(s)));
    const reply = { type: 'Promoted' as const, epochs: {} as Record<string, number>,
      fenced: {} as Record<string, string[]>, grantToServingMs: {} as Record<string, number> };
    for (const [i, slot] of [...this.slots.values()].entries()) {
      const o = outcomes[i]!;
      if (!o.ok) {
        return { type: 'Failed', code: o.code, message: `extent ${slot.extent}: ${o.message}` };
      }
      reply.epochs[String(slot.extent)] = o.epoch;
      reply.fenced[String(slot.extent)] = o.fenced;
      reply.grantToServingMs[String(slot.extent)] = o.grantToServingMs;
    }
    return reply;
  }

  write(extent: number, val: string): Promise<HeadReply> {
    const slot = this.slots.get(extent);
    if (slot === undefined) return Promise.resolve(noExtent(extent));
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle({ type: 'Failed', code: 'timeout',
        message: `no quorum within ${this.config.clientTimeoutMs} ms` }),
      this.config.clientTimeoutMs);
      const settle: Resolve = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      slot.queue.push({ val, resolve: settle });
      this.pump(slot);
    });
  }

  read(extent: number): HeadReply {
    const slot = this.slots.get(extent);
    if (slot === undefined) return noExtent(extent);
    const step = core.clientRead(slot.state);
    const reply = step.effects.find((e) => e.type === 'reply')?.reply;
    if (reply?.type === 'readResult') {
      return { type: 'ReadValue', extent, block: { epoch: reply.epoch, seq: reply.seq,
        val: reply.val } };
    }
    return { type: 'NotServing', extent, phase: slot.state.phase };
  }

  async close(): Promise<void> {
    await Promise.all([this.issuer.close(), ...[...this.sleds.values()].map((c) => c.close())]);
  }

  private async takeOver(slot: Slot): Promise<PromoteOutcome> {
    if (!core.canTakeOver(slot.state)) {
      return { ok: false, code: 'not-idle', message: `head is ${slot.state.phase}` };
    }
    const granted = await this.issuer.request({ type: 'RequestGrant', volume: this.config.volume,
      extent: String(slot.extent), holder: this.config.name });
    if (!granted.ok) return { ok: false, code: `grant-${granted.error.code}`,
      message: granted.error.message };
    const credential = granted.value.credential;
    if (credential.holder !== this.config.name || credential.extent !== String(slot.extent)
      || !core.canTakeOver(slot.state)) {
      return { ok: false, code: 'bad-grant', message: 'grant for another holder or extent' };
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ ok: false, code: 'timeout',
        message: `no fence and repair quorum within ${this.config.clientTimeoutMs} ms` }),
      this.config.clientTimeoutMs);
      const finish = (outcome: PromoteOutcome): void => {
        clearTimeout(timer);
        slot.promoting = null;
        resolve(outcome);
      };
      slot.promoting = finish;
      slot.grantAtMs = performance.now();
      this.apply(slot, core.takeOver(slot.state, credential));
    });
  }

  /** Adopt a step's state, then carry out its effects in order. */
  private apply(slot: Slot, step: { state: HeadState; effects: HeadEffect[] }, acks?: string[]) {
    const before = slot.state;
    slot.state = step.state;
    for (const effect of step.effects) {
      switch (effect.type) {
        case 'send':
          this.send(slot, effect.to, effect.msg, 0);
          break;
        case 'reply':
          this.answer(slot, before, effect.reply, acks ?? []);
          break;
        default: {
          const unreachable: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
        }
      }
    }
    this.pump(slot);
  }

  private send(slot: Slot, to: string, msg: Message, attempt: number): void {
    const client = this.sleds.get(to);
    if (client === undefined) throw new Error(`assertion failed: sled ${to} is configured`);
    if (msg.type !== 'Fence' && msg.type !== 'Write') {
      throw new Error(`assertion failed: a head sends Fence and Write only, not ${msg.type}`);
    }
    this.stats.sends += 1;
    void client.request(msg).then((result) => {
      if (result.ok) {
        this.receive(slot, result.value);
        return;
      }
      const maxAttempts = Math.ceil(this.config.clientTimeoutMs / this.config.resendDelayMs);
      if (attempt + 1 >= maxAttempts) return;
      setTimeout(() => {
        if (!this.stillAwaits(slot.state, to, msg)) return;
        this.stats.resends += 1;
        this.send(slot, to, msg, attempt + 1);
      }, this.config.resendDelayMs).unref();
    });
  }

  /** Does the core still wait for `to`'s answer to `msg` (so a resend may matter)? */
  private stillAwaits(state: HeadState, to: string, msg: Message): boolean {
    if (msg.type === 'Fence') {
      return state.phase === 'fencing' && state.credential?.mac === msg.credential.mac
        && !state.fenced.includes(to);
    }
    if (msg.type === 'Write') {
      return state.pending !== null && state.pending.seq === msg.seq
        && state.credential?.mac === msg.credential.mac && !state.acks.includes(to);
    }
    return false;
  }

  /** A sled's answer is the next input of the extent's core. */
  private receive(slot: Slot, m: SledReply): void {
    switch (m.type) {
      case 'FenceAck': {
        this.apply(slot, core.headFenced(slot.state, m));
        if (core.canRepair(slot.state)) this.apply(slot, core.repair(slot.state));
        break;
      }
      case 'WriteAck': {
        const acks = core.acceptsWriteAck(slot.state, m) ? [...slot.state.acks, m.sled] : [];
        this.apply(slot, core.headAck(slot.state, m), acks);
        break;
      }
      case 'Fenced':
        this.apply(slot, core.headFencedOff(slot.state, m));
        break;
      case 'Refused':
        this.stats.refusals += 1;
        break;
      case 'SledStats':
        this.stats.lostAnswers += 1;
        break;
      default: {
        const unreachable: never = m;
        throw new Error(`unknown answer ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Turn the core's client replies into answers to the waiting client or promotion. */
  private answer(slot: Slot, before: HeadState, reply: ClientReply, acks: string[]): void {
    const extent = slot.extent;
    switch (reply.type) {
      case 'writeAcked':
        if (!reply.repair) this.finishWrite(slot, { type: 'WriteAcked', extent,
          epoch: reply.epoch, seq: reply.seq, sleds: [...acks].sort() });
        break;
      case 'serving':
        slot.promoting?.({ ok: true, epoch: reply.epoch, fenced: [...before.fenced],
          grantToServingMs: performance.now() - slot.grantAtMs });
        break;
      case 'writeFailed':
        if (before.phase === 'serving') {
          this.finishWrite(slot, { type: 'Fenced', extent, epoch: reply.epoch });
        }
        break;
      case 'steppedDown':
        slot.promoting?.({ ok: false, code: 'fenced', message: 'a sled holds a higher epoch' });
        break;
      case 'error':
        this.finishWrite(slot, { type: 'NotServing', extent, phase: slot.state.phase });
        break;
      case 'readResult':
        break;
      default: {
        const unreachable: never = reply;
        throw new Error(`unknown reply ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private finishWrite(slot: Slot, reply: HeadReply): void {
    const resolve = slot.writing;
    slot.writing = null;
    resolve?.(reply);
  }

  /** Start the next queued client write when the core can take one. */
  private pump(slot: Slot): void {
    if (slot.writing !== null) return;
    const phase = slot.state.phase;
    if (phase === 'fencing' || phase === 'repairing') return;
    const next = slot.queue.shift();
    if (next === undefined) return;
    if (!core.canClientWrite(slot.state)) {
      next.resolve({ type: 'NotServing', extent: slot.extent, phase });
      this.pump(slot);
      return;
    }
    slot.writing = next.resolve;
    this.apply(slot, core.clientWrite(slot.state, next.val));
  }
}

function noExtent(extent: number): HeadReply {
  return { type: 'Failed', code: 'no-extent', message: `extent ${extent} is not served here` };
}
