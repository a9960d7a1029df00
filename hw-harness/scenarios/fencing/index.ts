/**
 * The `fencing` harness scenario: fencing's own node driver (src/fencing/node: the issuer, sled
 * and head role processes on the sans-IO cores) on real things. Three sled controllers write
 * their block logs to loop devices (NVMe namespaces with --destructive and a hosts file that
 * names them; plain files as a named fallback); the issuer, each sled and four heads run in
 * their own network namespaces (veth + bridge). Faults: SIGSTOP/SIGCONT of the active head,
 * SIGKILL of a sled mid-write, a blackhole partition between a head and two sleds. A QEMU guest
 * is live-migrated while its disk access moves from head-src to head-dst by credential. The
 * raw devices are audited afterwards against the spec's properties.
 */
import { HostNetwork } from '../../host/index.ts';
import { ScenarioRecorder } from '../recorder.ts';
import type { Scenario, ScenarioContext } from '../types.ts';
import { auditDevices } from './audit.ts';
import { BUGS, injectionFor } from './bugs.ts';
import { NetFencingCluster, type Layout } from './cluster.ts';
import { makeDevices, percentile, timeDurableWrites } from './devices.ts';
import { bootGuest, migrationPhase } from './migration.ts';
import {
  failoverPhase, finalPhase, loadPhase, partitionPhase, sledKillPhase, stalePhase, type Run,
} from './phases.ts';

const SLEDS = ['sled-1', 'sled-2', 'sled-3'];
const DEVICE_BYTES = 16 << 20;
const LAYOUT: Layout = {
  issuer: 0,
  heads: { 'head-a': { host: 1, extents: [0, 1] }, 'head-b': { host: 2, extents: [0, 1] },
    'head-src': { host: 3, extents: [2] }, 'head-dst': { host: 4, extents: [2] } },
  sleds: { 'sled-1': 5, 'sled-2': 6, 'sled-3': 7 },
};
const HOSTS = 8;
const WRITE_QUORUM = 2;

export const scenario: Scenario = {
  name: 'fencing',
  summary: 'sleds on loop devices, heads in network namespaces: SIGSTOP/SIGCONT a head, SIGKILL '
    + 'a sled, partition; raw-device audit; QEMU live migration moves disk access by credential',
  bugs: BUGS,
  run: async (ctx) => {
    const rec = new ScenarioRecorder('fencing');
    try {
      await runScenario(ctx, rec);
    } catch (thrown) {
      rec.fail('fencing scenario', thrown);
    }
    return rec.report();
  },
};

async function runScenario(ctx: ScenarioContext, rec: ScenarioRecorder): Promise<void> {
  const uid = process.getuid?.() ?? -1;
  if (!rec.check('root: network namespaces and loop devices need root', uid === 0,
    `uid ${uid}${uid === 0 ? '' : ': run as root (sudo) to create netns, veth and loop devices'}`,
  )) return;
  if (injectionFor(ctx.inject) === null) {
    rec.check(`inject ${ctx.inject}`, false, `unknown bug; known: ${BUGS.map((b) => b.name)}`);
    return;
  }
  rec.emulated('tc netem (delay/loss): the kernel has no sch_netem; faults are blackhole-route '
    + 'partitions, SIGSTOP pauses and SIGKILL crashes');
  ctx.progress('fencing: booting the guest (in the background)');
  const guest = bootGuest(ctx);
  try {
    await cluster(ctx, rec, guest);
  } finally {
    await guest;
  }
}

async function cluster(ctx: ScenarioContext, rec: ScenarioRecorder,
  guest: ReturnType<typeof bootGuest>): Promise<void> {
  ctx.progress('fencing: block devices');
  const devices = await makeDevices(ctx, SLEDS, DEVICE_BYTES);
  if (!devices.ok) return rec.fail('block devices', devices.error);
  const { kind, sleds, why } = devices.value;
  if (why !== null) rec.emulated(why);
  else rec.real(`${kind} devices for the sleds' block logs (pwrite + fdatasync)`);
  rec.emulated('each sled\'s maxEpoch state file lives on the work directory\'s filesystem '
    + '(fdatasync); its block log is on the device');
  const synced = timeDurableWrites(devices.value.calibration, ctx.long ? 1000 : 200);
  if (synced.ok) rec.figure('fdatasyncMsP50', percentile(synced.value, 50));
  ctx.progress('fencing: network namespaces');
  const pid = process.pid;
  const net = await HostNetwork.create(HOSTS, ctx.teardown,
    { tag: `fc${(pid % 1296).toString(36)}`, net: 200 + (pid % 50) });
  if (!net.ok) return rec.fail('network namespaces', net.error);
  rec.real(`${HOSTS} network namespaces (veth + bridge): issuer, 4 heads, 3 sleds`);
  ctx.progress('fencing: starting issuer, sleds and heads');
  const maxBlocks = sleds[0]!.maxBlocks;
  const started = await NetFencingCluster.start({ network: net.value, layout: LAYOUT,
    devices: sleds, dir: ctx.workDir, volume: 'vol-1', writeQuorum: WRITE_QUORUM,
    fenceQuorum: 2, clientTimeoutMs: 2500, injection: injectionFor(ctx.inject) ?? {},
    teardown: ctx.teardown });
  if (!started.ok) return rec.fail('start the role processes', started.error);
  rec.real('fencing role processes (src/fencing/node mains) over TCP between namespaces');
  const hostOf = (role: string) => LAYOUT.heads[role]?.host ?? LAYOUT.sleds[role] ?? -1;
  const run: Run = { ctx, rec, c: started.value, net: net.value, hostOf, maxBlocks };
  await faults(run, guest);
  ctx.progress('fencing: stopping the roles; auditing the raw devices');
  await started.value.closeClients();
  await Promise.all([...started.value.roles.values()].map((r) => r.kill()));
  auditDevices(rec, { files: started.value.sledFiles(), record: started.value.record,
    writeQuorum: WRITE_QUORUM, maxBlocks, refusedValues: ['a-stale', 'a-again', 'src-stale'] });
}

async function faults(run: Run, guest: ReturnType<typeof bootGuest>): Promise<void> {
  const script = [loadPhase, failoverPhase, stalePhase, sledKillPhase, partitionPhase,
    finalPhase];
  for (const phase of script) {
    if (!(await phase(run))) break;
  }
  run.rec.real('SIGSTOP/SIGCONT/SIGKILL of role processes; blackhole-route partition');
  const booted = await guest;
  if (!booted.ok) {
    run.rec.check(`guest boots (QEMU, ${run.ctx.accel})`, false, booted.error.message);
    return;
  }
  run.rec.check(`guest boots (QEMU, ${run.ctx.accel})`, true, `${booted.value.bootMs} ms`);
  run.rec.real(`qemu-${run.ctx.accel} vm live migration (QMP migrate over a unix socket)`);
  run.rec.emulated('the guest\'s two hosts: both QEMU processes run in the root namespace; the '
    + 'source/destination of its storage path is head-src/head-dst in their namespaces, and '
    + 'the guest computes each block (agent) that the harness hands to that head');
  await migrationPhase(run, booted.value);
}
