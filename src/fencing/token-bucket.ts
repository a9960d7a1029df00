/**
 * Burst throttling (US20190324812A1): every I/O is charged to a service-wide token bucket and
 * to its volume's bucket; when the service bucket has spare capacity (at least
 * `spareFraction` full) the volume bucket is charged the reduced cost, so a volume may burst
 * on idle capacity. An I/O that cannot be charged waits in a bounded FIFO and is admitted by a
 * later `tick`; only a full queue refuses, and says so. No I/O is ever dropped silently.
 * Time is an argument (`nowMs`); nothing here reads a clock.
 */
export interface BucketConfig {
  readonly capacityTokens: number;
  readonly refillTokensPerSecond: number;
}
export interface ThrottleConfig {
  readonly service: BucketConfig;
  readonly perVolume: BucketConfig;
  /** Tokens an I/O costs. */
  readonly costTokens: number;
  /** Tokens charged to the volume bucket when the service bucket has spare capacity. */
  readonly reducedCostTokens: number;
  /** Service bucket level (fraction of capacity) from which the reduced charge applies. */
  readonly spareFraction: number;
  readonly queueLengthMax: number;
}
interface Bucket {
  readonly tokens: number;
  readonly lastMs: number;
}
export interface QueuedIo {
  readonly id: string;
  readonly volume: string;
  readonly enqueuedMs: number;
}
export interface ThrottleState {
  readonly config: ThrottleConfig;
  readonly service: Bucket;
  readonly volumes: Readonly<Record<string, Bucket>>;
  readonly queue: readonly QueuedIo[];
}
export type ThrottleDecision =
  | { type: 'admit'; id: string; volume: string; chargedVolumeTokens: number; waitedMs: number }
  | { type: 'delay'; id: string; volume: string }
  | { type: 'refuse'; id: string; volume: string; code: 'QUEUE_FULL'; message: string };

export function initThrottle(config: ThrottleConfig, nowMs: number): ThrottleState {
  if (config.reducedCostTokens > config.costTokens || config.costTokens <= 0) {
    throw new Error('assertion: 0 < reducedCost <= cost');
  }
  const fits = config.costTokens <= config.service.capacityTokens &&
    config.costTokens <= config.perVolume.capacityTokens;
  if (!fits) {
    throw new Error('assertion: an I/O must fit in an empty bucket once refilled');
  }
  const service = { tokens: config.service.capacityTokens, lastMs: nowMs };
  return { config, service, volumes: {}, queue: [] };
}

function refill(b: Bucket, c: BucketConfig, nowMs: number): Bucket {
  const elapsedMs = Math.max(0, nowMs - b.lastMs);
  const refillTokens = (elapsedMs * c.refillTokensPerSecond) / 1000;
  const tokens = Math.min(c.capacityTokens, b.tokens + refillTokens);
  return { tokens, lastMs: Math.max(nowMs, b.lastMs) };
}

/** Charges both buckets for one I/O if both can pay; null otherwise. */
function tryCharge(
  s: ThrottleState, volume: string, nowMs: number,
): { state: ThrottleState; chargedVolumeTokens: number } | null {
  const { config } = s;
  const service = refill(s.service, config.service, nowMs);
  const vol0 = s.volumes[volume] ?? { tokens: config.perVolume.capacityTokens, lastMs: nowMs };
  const vol = refill(vol0, config.perVolume, nowMs);
  const spare = service.tokens >= config.spareFraction * config.service.capacityTokens;
  const volumeCost = spare ? config.reducedCostTokens : config.costTokens;
  if (service.tokens < config.costTokens || vol.tokens < volumeCost) return null;
  return {
    state: {
      ...s,
      service: { ...service, tokens: service.tokens - config.costTokens },
      volumes: { ...s.volumes, [volume]: { ...vol, tokens: vol.tokens - volumeCost } },
    },
    chargedVolumeTokens: volumeCost,
  };
}

/** Admits queued I/Os, oldest first, while the buckets can pay. */
export function tick(
  s: ThrottleState, nowMs: number,
): { state: ThrottleState; decisions: ThrottleDecision[] } {
  let state = s;
  const decisions: ThrottleDecision[] = [];
  const rest: QueuedIo[] = [];
  const blocked = new Set<string>();
  for (const io of s.queue) {
    // FIFO per volume: once a volume's I/O waits, its later ones wait too.
    const charged = blocked.has(io.volume) ? null : tryCharge(state, io.volume, nowMs);
    if (charged === null) {
      blocked.add(io.volume);
      rest.push(io);
      continue;
    }
    state = charged.state;
    decisions.push({
      type: 'admit', id: io.id, volume: io.volume,
      chargedVolumeTokens: charged.chargedVolumeTokens, waitedMs: nowMs - io.enqueuedMs,
    });
  }
  return { state: { ...state, queue: rest }, decisions };
}

/** Submits one I/O: admitted now, delayed (queued, admitted by a later tick) or refused. */
export function submit(
  s: ThrottleState, io: { id: string; volume: string }, nowMs: number,
): { state: ThrottleState; decisions: ThrottleDecision[] } {
  const drained = tick(s, nowMs);
  const queue = [...drained.state.queue, { ...io, enqueuedMs: nowMs }];
  const queued = { ...drained.state, queue };
  const again = tick(queued, nowMs);
  const admittedNow = again.decisions.find((d) => d.id === io.id);
  const decisions = [...drained.decisions, ...again.decisions];
  if (admittedNow !== undefined) return { state: again.state, decisions };
  if (again.state.queue.length > s.config.queueLengthMax) {
    const message = `throttle queue full (${s.config.queueLengthMax})`;
    return {
      state: { ...again.state, queue: again.state.queue.filter((q) => q.id !== io.id) },
      decisions: [
        ...decisions,
        { type: 'refuse', id: io.id, volume: io.volume, code: 'QUEUE_FULL', message },
      ],
    };
  }
  const delay: ThrottleDecision = { type: 'delay', id: io.id, volume: io.volume };
  return { state: again.state, decisions: [...decisions, delay] };
}

/** When the next queued I/O can be admitted at the earliest (for the driver's timer). */
export function nextWakeMs(s: ThrottleState): number | null {
  const head = s.queue[0];
  if (head === undefined) return null;
  const c = s.config;
  const vol = s.volumes[head.volume] ??
    { tokens: c.perVolume.capacityTokens, lastMs: s.service.lastMs };
  const needService = Math.max(0, c.costTokens - s.service.tokens);
  const needVolume = Math.max(0, c.costTokens - vol.tokens);
  const waitMs = Math.max(
    (needService * 1000) / c.service.refillTokensPerSecond,
    (needVolume * 1000) / c.perVolume.refillTokensPerSecond,
  );
  return Math.max(s.service.lastMs, vol.lastMs) + Math.ceil(waitMs);
}
