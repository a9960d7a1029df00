/**
 * A simulated host running one instance over the same closed-loop workload under three
 * garbage strategies, in simulated time (no clock is read):
 *
 * - `restore`: GC by restoring the ready-state snapshot, driven by the real GC manager core
 *   (src/snapshot/gc-manager): drain, save preserved (saveMs), terminate connections
 *   (terminateMs), restore (restoreMs), write back (writeBackMs), admit. The live heap goes back
 *   to the snapshot's on every restore.
 * - `none`: no GC at all; garbage and the live heap grow without bound.
 * - `items`: a stop-the-world tracing collector triggered at the same threshold, whose pause is
 *   `baseMs + liveItems * markNsPerLiveItem + garbageItems * sweepNsPerGarbageItem`; running
 *   executions are delayed by the pause. A share of every execution's items survives into the
 *   live heap (caches, leaks, tenured objects), so the live heap and the pause grow over time.
 *
 * Executions are admitted as slots free up (maxRunning at once); throughput is executions per
 * simulated second over the whole workload.
 */
import { Prng } from '../../src/runtime/sim/index.ts';
import {
  handleGcInput, initGcManager, type GcEffect, type GcInput, type GcState,
} from '../../src/snapshot/index.ts';

export type CostModel = {
  executions: number;
  maxRunning: number;
  thresholdBytes: number;
  durationMsMin: number;
  durationMsMax: number;
  garbageBytesMin: number;
  garbageBytesMax: number;
  /** Bytes per heap item (object) an execution allocates. */
  itemBytes: number;
  /** Share of an execution's items that survive into the live heap. */
  survivalRate: number;
  /** Live items of the ready state S (the runtime's heap after initialisation). */
  liveItemsAtReady: number;
  markNsPerLiveItem: number;
  sweepNsPerGarbageItem: number;
  itemGcBaseMs: number;
  saveMs: number;
  terminateMs: number;
  restoreMs: number;
  writeBackMs: number;
};

export const DEFAULT_COST_MODEL: CostModel = {
  executions: 20_000, maxRunning: 4, thresholdBytes: 64 << 20,
  durationMsMin: 2, durationMsMax: 20, garbageBytesMin: 64 << 10, garbageBytesMax: 1 << 20,
  itemBytes: 256, survivalRate: 0.02, liveItemsAtReady: 1_000_000, markNsPerLiveItem: 10,
  sweepNsPerGarbageItem: 2, itemGcBaseMs: 1,
  saveMs: 1, terminateMs: 2, restoreMs: 100, writeBackMs: 1,
};

export type SimOutcome = {
  strategy: 'restore' | 'none' | 'items';
  makespanMs: number;
  executionsPerSecond: number;
  pausesMs: number[];
  /** Garbage held when the workload ended. */
  finalGarbageBytes: number;
  maxGarbageBytes: number;
  finalLiveItems: number;
};

type Exec = { durationMs: number; garbageBytes: number };

export function makeWorkload(model: CostModel, seed: number): Exec[] {
  const prng = new Prng(seed);
  return Array.from({ length: model.executions }, () => ({
    durationMs: prng.int(model.durationMsMin, model.durationMsMax),
    garbageBytes: prng.int(model.garbageBytesMin, model.garbageBytesMax),
  }));
}

const survivors = (m: CostModel, bytes: number): number =>
  Math.round((bytes / m.itemBytes) * m.survivalRate);

function outcome(strategy: SimOutcome['strategy'], m: CostModel, makespanMs: number,
  rest: Omit<SimOutcome, 'strategy' | 'makespanMs' | 'executionsPerSecond'>): SimOutcome {
  return { strategy, makespanMs, executionsPerSecond: m.executions / (makespanMs / 1000),
    ...rest };
}

/** `none` and `items`: slots, finish times, and (for items) stop-the-world pauses. */
export function simulateSlots(m: CostModel, work: Exec[], collect: boolean): SimOutcome {
  let running: { endMs: number; exec: Exec }[] = [];
  let next = 0;
  let nowMs = 0;
  let garbage = 0;
  let maxGarbage = 0;
  let live = m.liveItemsAtReady;
  const pauses: number[] = [];
  while (next < work.length || running.length > 0) {
    while (running.length < m.maxRunning && next < work.length) {
      const exec = work[next++]!;
      running.push({ endMs: nowMs + exec.durationMs, exec });
    }
    running.sort((a, b) => a.endMs - b.endMs);
    const done = running.shift()!;
    nowMs = done.endMs;
    garbage += done.exec.garbageBytes;
    live += survivors(m, done.exec.garbageBytes);
    maxGarbage = Math.max(maxGarbage, garbage);
    if (collect && garbage >= m.thresholdBytes) {
      const pauseMs = m.itemGcBaseMs + (live * m.markNsPerLiveItem
        + (garbage / m.itemBytes) * m.sweepNsPerGarbageItem) / 1e6;
      pauses.push(pauseMs);
      nowMs += pauseMs;
      running = running.map((r) => ({ ...r, endMs: r.endMs + pauseMs }));
      garbage = 0;
    }
  }
  return outcome(collect ? 'items' : 'none', m, nowMs, { pausesMs: pauses,
    finalGarbageBytes: garbage, maxGarbageBytes: maxGarbage, finalLiveItems: live });
}

type Pending = { atMs: number; seq: number; input: GcInput };
const SIM_INSTANCE = 'sim-1';

/** `restore`: the real GC manager core decides; this class only plays the world. */
class RestoreSim {
  private state: GcState;
  private readonly events: Pending[] = [];
  private nowMs = 0;
  private seq = 0;
  private next = 0;
  private garbage = 0;
  private maxGarbage = 0;
  private live: number;
  private entropies = 1;
  private gcStartMs = 0;
  private lastFinishMs = 0;
  private readonly pauses: number[] = [];

  constructor(private readonly m: CostModel, private readonly work: Exec[]) {
    this.state = initGcManager({ instance: SIM_INSTANCE, snapshot: 'S',
      thresholdBytes: m.thresholdBytes, maxRunning: m.maxRunning, readIntervalMs: 10 },
    entropyHex(0));
    this.live = m.liveItemsAtReady;
  }

  private at(delayMs: number, input: GcInput): void {
    this.events.push({ atMs: this.nowMs + delayMs, seq: this.seq++, input });
  }

  private perform(e: GcEffect): void {
    const instance = SIM_INSTANCE;
    switch (e.type) {
      case 'run-execution': {
        const exec = this.work[Number(e.execId)]!;
        return this.at(exec.durationMs, { type: 'execution-finished', instance,
          execId: e.execId, garbageDelta: exec.garbageBytes, preservedWrites: 1 });
      }
      case 'reject-execution':
        throw new Error(`assertion: admission is only tried when the core admits (${e.code})`);
      case 'read-garbage':
        return this.at(0, { type: 'garbage-reading', instance, bytes: this.garbage });
      case 'stop-admitting':
        this.gcStartMs = this.nowMs;
        return;
      case 'save-preserved':
        return this.at(this.m.saveMs, { type: 'preserved-saved', instance, value: '00' });
      case 'terminate-connections':
        return this.at(this.m.terminateMs, { type: 'connections-closed', instance,
          entropy: entropyHex(this.entropies++) });
      case 'restore':
        this.garbage = 0;
        this.live = this.m.liveItemsAtReady;
        return this.at(this.m.restoreMs, { type: 'restored', instance });
      case 'write-back-preserved':
        return this.at(this.m.writeBackMs, { type: 'written-back', instance });
      case 'admit':
        this.pauses.push(this.nowMs - this.gcStartMs);
        return;
      case 'gc-finished':
        return;
      case 'input-rejected':
        throw new Error(`assertion: core rejected ${e.input}: ${e.message}`);
      default: {
        const never: never = e;
        throw new Error(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  private feed(input: GcInput): void {
    const step = handleGcInput(this.state, input);
    this.state = step.state;
    step.effects.forEach((e) => this.perform(e));
  }

  private admitting(): boolean {
    const s = this.state;
    return s.phase === 'admitting' && s.running.length < this.m.maxRunning
      && s.garbageBytes < this.m.thresholdBytes;
  }

  run(): SimOutcome {
    for (;;) {
      while (this.next < this.work.length && this.admitting()) {
        this.feed({ type: 'execution-started', instance: SIM_INSTANCE,
          execId: String(this.next++) });
      }
      if (this.events.length === 0) break;
      this.events.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const ev = this.events.shift()!;
      this.nowMs = ev.atMs;
      this.feed({ type: 'tick', instance: SIM_INSTANCE, nowMs: Math.round(this.nowMs) });
      if (ev.input.type === 'execution-finished') {
        this.garbage += ev.input.garbageDelta;
        this.live += survivors(this.m, ev.input.garbageDelta);
        this.maxGarbage = Math.max(this.maxGarbage, this.garbage);
        this.lastFinishMs = this.nowMs;
      }
      this.feed(ev.input);
    }
    if (this.next !== this.work.length || this.state.running.length > 0) {
      throw new Error('assertion: the workload did not finish');
    }
    return outcome('restore', this.m, this.lastFinishMs, { pausesMs: this.pauses,
      finalGarbageBytes: this.garbage, maxGarbageBytes: this.maxGarbage,
      finalLiveItems: this.live });
  }
}

export function simulateRestore(m: CostModel, work: Exec[]): SimOutcome {
  return new RestoreSim(m, work).run();
}

function entropyHex(counter: number): string {
  return counter.toString(16).padStart(64, '0');
}
