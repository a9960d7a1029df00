/**
 * `--probe`: what this machine offers the harness. Every answer comes from trying the thing
 * (a real KVM boot with a timeout, creating and deleting a namespace, a veth pair, a netem
 * qdisc), never from the presence of a file alone.
 */
import fs from 'node:fs';
import { listNvmeNamespaces } from '../block/index.ts';
import { cachedGuestImage, ensureGuestImage } from '../image/index.ts';
import { probeReportSchema, type ProbeReport } from '../report.ts';
import { runCommand } from '../run.ts';
import { detectAccel, findFirecracker, QEMU_BINARY, vmConfigSchema } from '../vmm/index.ts';

export type ProbeOptions = {
  /** Build the guest image if it is not cached (default false: KVM is then not probed). */
  buildImage?: boolean;
  kvmTimeoutMs?: number;
};

type Capability = { usable: boolean; detail: string };

export async function probe(options: ProbeOptions = {}): Promise<ProbeReport> {
  const startedMs = Date.now();
  const qemu = await probeQemu();
  const image = options.buildImage === true ? await buildOrNull() : await cachedGuestImage();
  const kvm = await probeKvm(qemu.version !== null, image, options.kvmTimeoutMs);
  const tcg = await probeTcg(qemu.version !== null);
  const network = await probeNetwork();
  const firecrackerPath = findFirecracker();
  const report: ProbeReport = {
    qemu,
    kvm,
    tcg,
    accel: kvm.usable ? 'kvm' : tcg.usable ? 'tcg' : null,
    firecracker: { present: firecrackerPath !== null, path: firecrackerPath },
    loopDevices: await probeLoop(),
    nvmeNamespaces: listNvmeNamespaces().map(({ devicePath, bytes, model }) => ({
      devicePath, bytes, model })),
    ...network,
    guestImage: { cached: image !== null, dir: image?.dir ?? null,
      hash: image?.manifest.hash ?? null },
    elapsedMs: Date.now() - startedMs,
  };
  return probeReportSchema.parse(report);
}

async function buildOrNull() {
  const built = await ensureGuestImage();
  return built.ok ? built.value : null;
}

async function probeQemu(): Promise<ProbeReport['qemu']> {
  const ran = await runCommand([QEMU_BINARY, '--version'], { timeoutMs: 15_000 });
  if (!ran.ok || ran.value.exitCode !== 0) return { binary: null, version: null };
  const version = /version (\S+)/.exec(ran.value.stdout)?.[1] ?? null;
  return { binary: QEMU_BINARY, version };
}

async function probeKvm(
  haveQemu: boolean,
  image: Awaited<ReturnType<typeof cachedGuestImage>>,
  timeoutMs: number | undefined,
): Promise<ProbeReport['kvm']> {
  if (!haveQemu) return { usable: false, detail: 'no qemu', bootMs: null };
  if (image === null) {
    return { usable: false, detail: 'not probed: no guest image cached', bootMs: null };
  }
  const config = vmConfigSchema.parse({ kernelPath: image.kernelPath,
    initrdPath: image.initrdPath });
  const found = await detectAccel(config, timeoutMs);
  if (!found.ok) return { usable: false, detail: found.error.message, bootMs: null };
  const { kvmUsable, kvmReason, kvmBootMs, probedAt } = found.value;
  const detail = kvmUsable
    ? `booted to the agent under -accel kvm (boot probe at ${probedAt})`
    : `fell back to tcg (boot probe at ${probedAt}): ${kvmReason}`;
  return { usable: kvmUsable, detail, bootMs: kvmBootMs ?? null };
}

async function probeTcg(haveQemu: boolean): Promise<Capability> {
  if (!haveQemu) return { usable: false, detail: 'no qemu' };
  const ran = await runCommand([QEMU_BINARY, '-accel', 'help'], { timeoutMs: 15_000 });
  const listed = ran.ok && /\btcg\b/.test(ran.value.stdout);
  return { usable: listed, detail: listed ? 'listed by -accel help' : 'not listed' };
}

async function probeLoop(): Promise<Capability> {
  if (!fs.existsSync('/dev/loop-control')) return { usable: false, detail: 'no /dev/loop-control' };
  const ran = await runCommand(['losetup', '--find'], { timeoutMs: 10_000 });
  if (!ran.ok) return { usable: false, detail: ran.error.message };
  const free = ran.value.stdout.trim();
  return { usable: ran.value.exitCode === 0, detail: free || ran.value.stderr.trim() };
}

/** Create a namespace, a veth pair into it and a netem qdisc; delete all of it. */
async function probeNetwork(): Promise<Pick<ProbeReport, 'netns' | 'veth' | 'netem'>> {
  const tag = `plpr${(process.pid % 1296).toString(36)}`;
  const ns = `${tag}n`;
  const step = async (argv: string[]): Promise<Capability> => {
    const ran = await runCommand(argv, { timeoutMs: 10_000 });
    if (!ran.ok) return { usable: false, detail: ran.error.message };
    const detail = ran.value.exitCode === 0 ? 'ok' : ran.value.stderr.trim().slice(0, 200);
    return { usable: ran.value.exitCode === 0, detail };
  };
  const netns = await step(['ip', 'netns', 'add', ns]);
  let veth: Capability = { usable: false, detail: 'not tried: no netns' };
  let netem: Capability = { usable: false, detail: 'not tried: no veth' };
  if (netns.usable) {
    veth = await step(['ip', 'link', 'add', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}b`,
      'netns', ns]);
  }
  if (veth.usable) {
    netem = await step(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', `${tag}b`, 'root',
      'netem', 'delay', '1ms']);
  }
  await runCommand(['ip', 'link', 'del', `${tag}a`], { timeoutMs: 10_000 });
  if (netns.usable) await runCommand(['ip', 'netns', 'del', ns], { timeoutMs: 10_000 });
  return { netns, veth, netem };
}

export type { ProbeReport } from '../report.ts';
