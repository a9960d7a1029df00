/**
 * Live migration moves a guest's disk access by credential (spec MigratePause / MigrateGrant).
 *
 * The smallest honest version: the guest's storage path is a head node on the guest's host.
 * head-src (in the source host's namespace) serves extent 2 for the guest; the guest produces
 * each block itself (a counter kept in guest RAM and a fresh UUID, run through the agent) and
 * the harness hands it to the head bound to the guest's current host, which fences, replicates
 * and acknowledges on the sleds. Migration:
 *   1. pause at the source: head-src is SIGSTOPped (the guest's I/O path there stops);
 *   2. QemuVmm.migrate moves the running guest to a second QEMU process;
 *   3. the destination is granted a higher epoch: head-dst takes over (fences the sleds);
 *   4. the guest's next block (its RAM counter runs on) goes through head-dst;
 *   5. head-src resumes and writes with the source's old credential: the sleds refuse it.
 */
import { ensureGuestImage } from '../../image/index.ts';
import { QemuVmm, type QemuVm } from '../../vmm/index.ts';
import { err, ok, type HarnessError, type Result } from '../../run.ts';
import type { ScenarioContext } from '../types.ts';
import { show, type Run } from './phases.ts';

const EXTENT = 2;
const GUEST_BLOCK = 'n=$(( $(cat /tmp/n 2>/dev/null || echo 0) + 1 )); echo $n > /tmp/n; '
  + 'echo "g-$n-$(cat /proc/sys/kernel/random/uuid)"';

export type Vmm = { vmm: QemuVmm; vm: QemuVm; bootMs: number };

/** Boot the guest (started early so it overlaps the fault script). */
export async function bootGuest(ctx: ScenarioContext): Promise<Result<Vmm, HarnessError>> {
  const image = await ensureGuestImage();
  if (!image.ok) return image;
  const vmm = new QemuVmm();
  const startedMs = Date.now();
  const booted = await vmm.boot({ kernelPath: image.value.kernelPath,
    initrdPath: image.value.initrdPath, memoryMiB: 256 }, { accel: ctx.accel,
    readyTimeoutMs: 90_000 });
  if (!booted.ok) return booted;
  const vm = booted.value;
  ctx.teardown.add(`vm ${vm.pid}`, () => vm.destroy());
  return ok({ vmm, vm, bootMs: Date.now() - startedMs });
}

/** One guest block: the guest computes it; returns [counter, value]. */
async function guestBlock(vm: QemuVm): Promise<Result<[number, string], HarnessError>> {
  const ran = await vm.exec(GUEST_BLOCK, 20_000);
  if (!ran.ok) return ran;
  const m = /^g-(\d+)-[0-9a-f-]{36}$/.exec(ran.value.output.trim());
  if (ran.value.exitCode !== 0 || m === null) {
    return err({ code: 'bad-response', message: `guest block: ${ran.value.output.slice(0, 80)}` });
  }
  return ok([Number(m[1]), ran.value.output.trim()]);
}

/** The guest writes `count` blocks through `head`; returns the last counter or a problem. */
async function guestWrites(run: Run, vm: QemuVm, head: string, count: number):
  Promise<Result<number, string>> {
  let last = 0;
  for (let i = 0; i < count; i++) {
    const block = await guestBlock(vm);
    if (!block.ok) return err(block.error.message);
    const reply = await run.c.write(head, EXTENT, block.value[1]);
    if (!reply.ok || reply.value.type !== 'WriteAcked') return err(`via ${head}: ${show(reply)}`);
    last = block.value[0];
  }
  return ok(last);
}

export async function migrationPhase(run: Run, guest: Vmm): Promise<boolean> {
  const { rec, c, ctx } = run;
  rec.figure('guestBootMs', guest.bootMs);
  ctx.progress('fencing: guest writes through head-src');
  const src = await c.promote('head-src');
  if (!rec.check('head-src takes over the guest\'s extent', src.ok
    && src.value.type === 'Promoted', show(src))) return false;
  const before = await guestWrites(run, guest.vm, 'head-src', ctx.long ? 20 : 5);
  if (!before.ok) return rec.check('guest blocks acknowledged through head-src', false,
    before.error);
  rec.check('guest blocks acknowledged through head-src', true, `guest counter ${before.value}`);
  ctx.progress('fencing: pause at the source; live-migrate the guest');
  const pausedMs = performance.now();
  c.role('head-src').pause();
  const moved = await guest.vmm.migrate(guest.vm);
  if (!moved.ok) {
    c.role('head-src').resume();
    return rec.check('live migration completes', false, moved.error.message);
  }
  const vm = moved.value.vm;
  ctx.teardown.add(`vm ${vm.pid}`, () => vm.destroy());
  rec.figure('migrationMs', moved.value.elapsedMs);
  if (vm.timings.downtimeMs !== undefined) rec.figure('downtimeMs', vm.timings.downtimeMs);
  return handOver(run, vm, before.value, pausedMs);
}

async function handOver(run: Run, vm: QemuVm, counter: number, pausedMs: number):
  Promise<boolean> {
  const { rec, c, ctx } = run;
  ctx.progress('fencing: destination granted a higher epoch; source credential fenced');
  const dst = await c.promote('head-dst');
  const srcEpoch = c.record.fences.filter((f) => f.head === 'head-src').at(-1)?.epoch ?? 0;
  const dstEpoch = dst.ok && dst.value.type === 'Promoted'
    ? dst.value.epochs[String(EXTENT)] ?? 0 : 0;
  const after = await guestWrites(run, vm, 'head-dst', 1);
  if (after.ok) rec.figure('storageHandoffMs', performance.now() - pausedMs);
  rec.check('migration: the guest runs at the destination and its I/O goes through head-dst',
    after.ok && after.value === counter + 1 && dstEpoch > srcEpoch,
    `promote: ${show(dst)}; guest counter ${counter} -> ${after.ok ? after.value
      : after.error} (RAM moved); epochs ${srcEpoch} -> ${dstEpoch}`);
  c.role('head-src').resume();
  const stale = await c.write('head-src', EXTENT, 'src-stale');
  const status = await c.status('head-src');
  const srcAcksAfter = c.record.acks.filter((a) => a.extent === EXTENT && a.head === 'head-src'
    && a.epoch >= dstEpoch).length;
  const phase = status.ok && status.value.type === 'Status'
    ? status.value.phases[String(EXTENT)] : undefined;
  const refused = stale.ok && stale.value.type === 'Fenced';
  const more = await guestWrites(run, vm, 'head-dst', 2);
  return rec.check('MigrationExclusive: the source\'s old credential is refused after the grant',
    refused && phase === 'stepped-down' && srcAcksAfter === 0 && more.ok,
    `source write: ${show(stale)}; head-src now ${phase}; source acks at >= epoch ${dstEpoch}: `
    + `${srcAcksAfter}; guest writes via head-dst after: ${more.ok ? 'acked' : more.error}`);
}
