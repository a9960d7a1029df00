/**
 * The fault script on heads head-a / head-b (extents 0 and 1) and sleds sled-1..3:
 *   load       head-a takes over and serves a client load (writesPerS, latency)
 *   failover   SIGKILL + restart the issuer (bug 3 forgets its counter here); SIGSTOP head-a
 *              (a GC pause); head-b takes over, fencing the sleds with a
 *              higher epoch; failoverMs = stop -> head-b's first acknowledged write
 *   stale      SIGCONT head-a; its write under the old credential must be refused (Fenced)
 *   sled kill  SIGKILL sled-3 in the middle of a write burst; restart it on the same device
 *   partition  head-a (blackholed from sled-1, sled-2) tries to take over: it fences sled-3 only
 *              and fails without a fence quorum; head-a crashes; sled-3 is SIGKILLed and
 *              restarted; head-b writes again (sled-3 must answer Fenced: it accepted a higher
 *              epoch). This is where a sled that forgets maxEpoch (bug 1) performs a stale write.
 *   final      heal; head-a restarts (fresh, idle) and takes over; final writes and reads
 */
import { readSledLog, type HeadReply } from '../../../src/fencing/node/index.ts';
import type { HostNetwork } from '../../host/index.ts';
import { sleepMs } from '../../run.ts';
import type { ScenarioRecorder } from '../recorder.ts';
import type { ScenarioContext } from '../types.ts';
import type { NetFencingCluster } from './cluster.ts';
import { percentile } from './devices.ts';

export type Run = {
  ctx: ScenarioContext;
  rec: ScenarioRecorder;
  c: NetFencingCluster;
  net: HostNetwork;
  hostOf: (role: string) => number;
  maxBlocks: number;
};

type Reply = { ok: true; value: HeadReply } | { ok: false; error: { code: string;
  message: string } };

const EXTENTS = [0, 1] as const;

export function show(reply: Reply): string {
  if (!reply.ok) return `error ${reply.error.code}: ${reply.error.message}`;
  return JSON.stringify(reply.value).slice(0, 300);
}

function epochsOf(reply: Reply): Record<string, number> | null {
  return reply.ok && reply.value.type === 'Promoted' ? reply.value.epochs : null;
}

/** Writes on both extents at once (one at a time per extent) for `durationMs`. */
async function load(run: Run, head: string, durationMs: number, tag: string) {
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  const endMs = performance.now() + durationMs;
  const startedMs = performance.now();
  await Promise.all(EXTENTS.map(async (extent) => {
    for (let i = 0; performance.now() < endMs; i++) {
      const sentMs = performance.now();
      const reply = await run.c.write(head, extent, `${tag}-${extent}-${i}`);
      if (reply.ok && reply.value.type === 'WriteAcked') {
        latenciesMs.push(performance.now() - sentMs);
      } else if (failures.push(show(reply)) > 3) {
        return;
      }
    }
  }));
  return { latenciesMs, failures, elapsedMs: performance.now() - startedMs };
}

export async function loadPhase(run: Run): Promise<boolean> {
  const { rec, c } = run;
  run.ctx.progress('fencing: head-a takes over; client load');
  const promoted = await c.promote('head-a');
  if (!rec.check('head-a takes over (fence quorum, repair, serving)',
    epochsOf(promoted) !== null, show(promoted))) return false;
  const loaded = await load(run, 'head-a', run.ctx.long ? 10_000 : 2_500, 'a');
  rec.figure('writesPerS', (loaded.latenciesMs.length / loaded.elapsedMs) * 1000);
  rec.figure('writeLatencyMsP50', percentile(loaded.latenciesMs, 50));
  rec.figure('writeLatencyMsP99', percentile(loaded.latenciesMs, 99));
  return rec.check('client load through head-a acknowledged',
    loaded.failures.length === 0 && loaded.latenciesMs.length > 0,
    `${loaded.latenciesMs.length} writes acked in ${loaded.elapsedMs.toFixed(0)} ms; `
    + `failures: ${loaded.failures.join('; ') || 'none'}`);
}

export async function failoverPhase(run: Run): Promise<boolean> {
  const { rec, c } = run;
  run.ctx.progress('fencing: SIGKILL the issuer, restart it on its state file');
  await c.role('issuer').kill();
  const issuer = await c.restartIssuer();
  if (!rec.check('issuer SIGKILLed and restarted on its state file', issuer.ok,
    issuer.ok ? 'ready' : issuer.error.message)) return false;
  run.ctx.progress('fencing: SIGSTOP head-a, promote head-b');
  const before = c.record.fences.filter((f) => f.head === 'head-a').map((f) => f.epoch);
  const stoppedMs = performance.now();
  c.role('head-a').pause();
  const promoted = await c.promote('head-b');
  const first = await c.write('head-b', 0, 'b-first');
  const failoverMs = performance.now() - stoppedMs;
  const epochs = epochsOf(promoted);
  const fenced = promoted.ok && promoted.value.type === 'Promoted' ? promoted.value.fenced : {};
  const higher = epochs !== null && Object.values(epochs).every((e) => e > Math.max(...before));
  const quorum = Object.values(fenced).every((s) => s.length >= 2);
  const acked = first.ok && first.value.type === 'WriteAcked';
  if (acked) rec.figure('failoverMs', failoverMs);
  if (promoted.ok && promoted.value.type === 'Promoted') {
    rec.figure('grantToServingMs', Math.max(...Object.values(promoted.value.grantToServingMs)));
  }
  return rec.check('failover: head-b fences a quorum with a higher epoch and serves',
    higher && quorum && acked, `head-a epochs ${before.join(',')}; promote ${show(promoted)}; `
    + `first write ${show(first)}; ${failoverMs.toFixed(0)} ms after SIGSTOP`);
}

export async function stalePhase(run: Run): Promise<boolean> {
  const { rec, c } = run;
  run.ctx.progress('fencing: SIGCONT head-a; stale write attempt');
  c.role('head-a').resume();
  const stale = await c.write('head-a', 0, 'a-stale');
  const again = await c.write('head-a', 0, 'a-again');
  const fenced = stale.ok && stale.value.type === 'Fenced';
  const down = again.ok && again.value.type === 'NotServing'
    && again.value.phase === 'stepped-down';
  return rec.check('NoStaleWrite: resumed head-a\'s write under its old credential is refused',
    fenced && down, `stale write: ${show(stale)}; next: ${show(again)}`);
}

/** SIGKILL a sled mid-write and restart it: sled-3 in the smoke, each sled in turn with --long. */
export async function sledKillPhase(run: Run): Promise<boolean> {
  for (const sled of run.ctx.long ? ['sled-1', 'sled-2', 'sled-3'] : ['sled-3']) {
    if (!(await killSledMidWrite(run, sled))) return false;
  }
  return true;
}

async function killSledMidWrite(run: Run, sled: string): Promise<boolean> {
  const { rec, c } = run;
  run.ctx.progress(`fencing: SIGKILL ${sled} mid-write, restart on the same device`);
  const burst = Array.from({ length: 20 }, (_, i) => c.write('head-b', i % 2, `b-burst-${i}`));
  await sleepMs(15);
  await c.role(sled).kill();
  const replies = await Promise.all(burst);
  const ackedInBurst = replies.filter((r) => r.ok && r.value.type === 'WriteAcked').length;
  const whileDown = await c.write('head-b', 1, `b-while-${sled}-down`);
  const restarted = await c.restartSled(sled);
  const marker = `b-after-${sled}-restart`;
  const after = await c.write('head-b', 1, marker);
  const file = c.sledFiles().find((f) => f.sled === sled)!;
  let held = false;
  for (let i = 0; i < 50 && !held; i++) {
    held = readSledLog(file, run.maxBlocks).entries.some((e) => e.block.val === marker);
    if (!held) await sleepMs(40);
  }
  const ok = ackedInBurst === 20 && whileDown.ok && whileDown.value.type === 'WriteAcked'
    && restarted.ok && after.ok && after.value.type === 'WriteAcked' && held;
  return rec.check(`${sled} SIGKILLed mid-write: writes go on with W=2, restart catches up`, ok,
    `${ackedInBurst}/20 burst writes acked; while down: ${show(whileDown)}; restart: `
    + `${restarted.ok ? 'ok' : restarted.error.message}; after: ${show(after)}; `
    + `${sled}'s device holds it: ${held}`);
}

/** The highest fence epoch in a sled's state file (read from the raw file, not the process). */
function fencedEpoch(run: Run, sled: string, extent: number): number {
  const file = run.c.sledFiles().find((f) => f.sled === sled)!;
  const states = readSledLog(file, run.maxBlocks).states;
  return Math.max(0, ...states.map((s) => s.maxEpoch.get(extent) ?? 0));
}

export async function partitionPhase(run: Run): Promise<boolean> {
  const { rec, c, net, hostOf } = run;
  run.ctx.progress('fencing: partition head-a from sled-1, sled-2; failed takeover');
  for (const sled of ['sled-1', 'sled-2']) {
    const cut = await net.partition(hostOf('head-a'), hostOf(sled));
    if (!cut.ok) return rec.check('partition head-a from sleds', false, cut.error.message);
  }
  const bEpoch = Math.max(...c.record.fences.filter((f) => f.head === 'head-b')
    .map((f) => f.epoch));
  const attempt = await c.promote('head-a');
  const fencedAt = fencedEpoch(run, 'sled-3', 0);
  const failed = attempt.ok && attempt.value.type === 'Failed';
  const ok = rec.check('partition: head-a reaches only sled-3; its takeover fails (no F quorum)',
    failed && fencedAt > bEpoch, `promote: ${show(attempt)}; sled-3's state file fences `
    + `extent 0 at epoch ${fencedAt} (head-b holds ${bEpoch})`);
  await c.role('head-a').kill();
  run.ctx.progress('fencing: SIGKILL and restart sled-3; head-b writes again');
  await c.role('sled-3').kill();
  const restarted = await c.restartSled('sled-3');
  if (!rec.check('sled-3 restarts on its device after the failed takeover', restarted.ok,
    restarted.ok ? 'ready' : restarted.error.message)) return false;
  for (const extent of EXTENTS) await c.write('head-b', extent, `b-after-fence-${extent}`);
  return ok;
}

export async function finalPhase(run: Run): Promise<boolean> {
  const { rec, c, net } = run;
  run.ctx.progress('fencing: heal; head-a restarts and takes over; final writes and reads');
  const healed = await net.heal();
  if (!rec.check('heal the partition', healed.ok, healed.ok ? 'ok' : healed.error.message)) {
    return false;
  }
  const restarted = await c.restartHead('head-a');
  const top = Math.max(0, ...c.record.fences.map((f) => f.epoch));
  const again = restarted.ok ? await c.promote('head-a') : null;
  const epochs = again === null ? null : epochsOf(again);
  if (!rec.check('head-a restarts after its crash and takes over with a higher epoch',
    epochs !== null && Object.values(epochs).every((e) => e > top),
    again === null ? `restart: ${restarted.ok ? '' : restarted.error.message}`
      : `${show(again)} (highest epoch before: ${top})`)) return false;
  const problems: string[] = [];
  for (const extent of EXTENTS) {
    const wrote = await c.write('head-a', extent, `final-${extent}`);
    const read = await c.read('head-a', extent);
    const latest = latestAck(run, extent);
    const val = read.ok && read.value.type === 'ReadValue' ? read.value.block.val : null;
    if (!wrote.ok || wrote.value.type !== 'WriteAcked') problems.push(`write ${show(wrote)}`);
    if (val !== latest || val !== `final-${extent}`) {
      problems.push(`extent ${extent}: read ${show(read)}, latest ack ${latest}`);
    }
  }
  return rec.check('ReadsSeeLatestAck: the current head reads the latest acknowledged value',
    problems.length === 0, problems.join('; ')
      || 'reads of extents 0 and 1 = their latest acknowledged (final) writes');
}

function latestAck(run: Run, extent: number): string | null {
  const acks = run.c.record.acks.filter((a) => a.extent === extent);
  const top = acks.reduce<(typeof acks)[number] | null>((best, a) => best === null
    || a.epoch > best.epoch || (a.epoch === best.epoch && a.seq > best.seq) ? a : best, null);
  return top?.val ?? null;
}
