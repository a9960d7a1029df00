/**
 * Guest images from Debian packages only: a cloud kernel and busybox-static fetched with
 * `apt-get download`, unpacked with `dpkg -x`, and an initramfs (busybox, /init, the agent,
 * virtio modules) packed with cpio + gzip.
 *
 * Cache: `<cacheRoot>/guest/<sha256 of the inputs>/{vmlinuz,initrd.gz,manifest.json}` where the
 * inputs are the kernel package name + version, the busybox version, the init and agent text and
 * the module list. A changed input is a new hash, hence a rebuild. `<hash>.lock` (O_EXCL) keeps
 * two builders from racing; a lock whose owner process is gone is taken over.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { err, harnessError, ok, runChecked, sleepMs } from '../run.ts';
import type { HarnessError, Result } from '../run.ts';
import { AGENT_SCRIPT, DEFAULT_MODULES, INIT_SCRIPT } from './guest-files.ts';
import { indexModules, moduleDepends, orderModules } from './modules.ts';

export const IMAGE_FORMAT_VERSION = 1;
const LOCK_WAIT_MS_MAX = 180_000;

export const imageInputsSchema = z.object({
  formatVersion: z.number().int(),
  kernelPackage: z.string(),
  kernelVersion: z.string(),
  busyboxVersion: z.string(),
  initScript: z.string(),
  agentScript: z.string(),
  modules: z.array(z.string()),
});
export type ImageInputs = z.infer<typeof imageInputsSchema>;

export const imageManifestSchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  inputs: imageInputsSchema,
  kernelRelease: z.string(),
  moduleOrder: z.array(z.string()),
  builtAt: z.string(),
  buildMs: z.number(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export type GuestImage = {
  dir: string;
  kernelPath: string;
  initrdPath: string;
  manifest: ImageManifest;
  /** True when the image came from the cache without a build. */
  cached: boolean;
  elapsedMs: number;
};

export type ImageOptions = {
  cacheRoot?: string;
  modules?: readonly string[];
  /** The metapackage whose dependency names the kernel package. */
  kernelMetapackage?: string;
};

export function defaultCacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'plumbline');
}

export function hashInputs(inputs: ImageInputs): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

/** Build the guest image, or return the cached one whose inputs hash matches. */
export async function ensureGuestImage(
  options: ImageOptions = {},
): Promise<Result<GuestImage, HarnessError>> {
  const startedMs = Date.now();
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const inputs = await resolveInputs(options);
  if (!inputs.ok) return inputs;
  const hash = hashInputs(inputs.value);
  const dir = path.join(cacheRoot, 'guest', hash);
  const cached = readCached(dir);
  if (cached !== null) return ok(imageAt(dir, cached, true, startedMs));
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lock = await acquireLock(`${dir}.lock`);
  if (!lock.ok) return lock;
  try {
    const again = readCached(dir);
    if (again !== null) return ok(imageAt(dir, again, true, startedMs));
    const built = await buildImage(cacheRoot, dir, hash, inputs.value, startedMs);
    if (!built.ok) return built;
    return ok(imageAt(dir, built.value, false, startedMs));
  } finally {
    fs.rmSync(`${dir}.lock`, { force: true });
  }
}

/** The cached image for the current inputs, or null (never builds). */
export async function cachedGuestImage(options: ImageOptions = {}): Promise<GuestImage | null> {
  const startedMs = Date.now();
  const inputs = await resolveInputs(options);
  if (!inputs.ok) return null;
  const dir = path.join(options.cacheRoot ?? defaultCacheRoot(), 'guest', hashInputs(inputs.value));
  const manifest = readCached(dir);
  return manifest === null ? null : imageAt(dir, manifest, true, startedMs);
}

function imageAt(dir: string, manifest: ImageManifest, cached: boolean, startedMs: number) {
  const kernelPath = path.join(dir, 'vmlinuz');
  const initrdPath = path.join(dir, 'initrd.gz');
  return { dir, kernelPath, initrdPath, manifest, cached, elapsedMs: Date.now() - startedMs };
}

function readCached(dir: string): ImageManifest | null {
  try {
    const text = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    const parsed = imageManifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return null;
    const present = ['vmlinuz', 'initrd.gz'].every((f) => fs.existsSync(path.join(dir, f)));
    return present ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Resolved inputs per option set, for the life of the process (apt-cache is slow). */
const resolvedInputs = new Map<string, ImageInputs>();

async function resolveInputs(options: ImageOptions): Promise<Result<ImageInputs, HarnessError>> {
  const key = JSON.stringify([options.kernelMetapackage, options.modules]);
  const known = resolvedInputs.get(key);
  if (known !== undefined) return ok(known);
  const resolved = await resolveInputsFromApt(options);
  if (resolved.ok) resolvedInputs.set(key, resolved.value);
  return resolved;
}

async function resolveInputsFromApt(
  options: ImageOptions,
): Promise<Result<ImageInputs, HarnessError>> {
  const meta = options.kernelMetapackage ?? 'linux-image-cloud-amd64';
  const argv = ['apt-cache', 'show', '--no-all-versions', meta, 'busybox-static'];
  const shown = await runChecked(argv, { timeoutMs: 60_000 });
  if (!shown.ok) return shown;
  const stanzas = parseStanzas(shown.value.stdout);
  const kernel = /(linux-image-[0-9][^\s,]*) \(= ([^)]+)\)/.exec(stanzas.get(meta)?.Depends ?? '');
  const busyboxVersion = stanzas.get('busybox-static')?.Version;
  if (kernel === null || kernel[1] === undefined || kernel[2] === undefined) {
    const message = `apt-cache show ${meta} names no pinned kernel (run apt-get update first)`;
    return err(harnessError('missing-tool', message));
  }
  if (busyboxVersion === undefined) {
    return err(harnessError('missing-tool', 'apt-cache knows no busybox-static (apt-get update?)'));
  }
  return ok({
    formatVersion: IMAGE_FORMAT_VERSION,
    kernelPackage: kernel[1],
    kernelVersion: kernel[2],
    busyboxVersion,
    initScript: INIT_SCRIPT,
    agentScript: AGENT_SCRIPT,
    modules: [...(options.modules ?? DEFAULT_MODULES)],
  });
}

/** Package name -> its fields, from `apt-cache show` output (first stanza per package). */
export function parseStanzas(text: string): Map<string, Record<string, string>> {
  const stanzas = new Map<string, Record<string, string>>();
  for (const block of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const match = /^([A-Za-z-]+): (.*)$/.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined) fields[match[1]] = match[2];
    }
    const name = fields.Package;
    if (name !== undefined && !stanzas.has(name)) stanzas.set(name, fields);
  }
  return stanzas;
}

async function acquireLock(lockPath: string): Promise<Result<void, HarnessError>> {
  const deadlineMs = Date.now() + LOCK_WAIT_MS_MAX;
  while (Date.now() < deadlineMs) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return ok(undefined);
    } catch {
      if (lockOwnerGone(lockPath)) fs.rmSync(lockPath, { force: true });
      else await sleepMs(250);
    }
  }
  return err(harnessError('locked', `${lockPath} held for more than ${LOCK_WAIT_MS_MAX} ms`));
}

function lockOwnerGone(lockPath: string): boolean {
  try {
    const pid = Number(fs.readFileSync(lockPath, 'utf8'));
    if (!Number.isSafeInteger(pid) || pid <= 0) return true;
    process.kill(pid, 0);
    return false;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function buildImage(
  cacheRoot: string,
  dir: string,
  hash: string,
  inputs: ImageInputs,
  startedMs: number,
): Promise<Result<ImageManifest, HarnessError>> {
  const work = `${dir}.build-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const unpacked = await fetchAndUnpack(cacheRoot, work, inputs);
    if (!unpacked.ok) return unpacked;
    const packed = await packInitramfs(work, inputs);
    if (!packed.ok) return packed;
    const manifest: ImageManifest = {
      hash,
      inputs,
      kernelRelease: unpacked.value,
      moduleOrder: packed.value,
      builtAt: new Date().toISOString(),
      buildMs: Date.now() - startedMs,
    };
    const out = `${work}/out`;
    fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(out, dir);
    return ok(manifest);
  } catch (thrown) {
    return err(harnessError('io-failed', `image build: ${String(thrown)}`));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** apt-get download (kept in <cacheRoot>/debs), dpkg -x; returns the kernel release. */
async function fetchAndUnpack(
  cacheRoot: string,
  work: string,
  inputs: ImageInputs,
): Promise<Result<string, HarnessError>> {
  const debs = path.join(cacheRoot, 'debs');
  fs.mkdirSync(debs, { recursive: true });
  const wanted = [
    `${inputs.kernelPackage}=${inputs.kernelVersion}`,
    `busybox-static=${inputs.busyboxVersion}`,
  ];
  for (const spec of wanted) {
    const [name, version] = spec.split('=') as [string, string];
    const file = debFileName(name, version);
    if (fs.existsSync(path.join(debs, file))) continue;
    const got = await runChecked(['apt-get', 'download', spec], { cwd: debs, timeoutMs: 300_000 });
    if (!got.ok) return got;
  }
  for (const [name, version, into] of [
    [inputs.kernelPackage, inputs.kernelVersion, 'kernel'],
    ['busybox-static', inputs.busyboxVersion, 'busybox'],
  ] as const) {
    const deb = path.join(debs, debFileName(name, version));
    const x = await runChecked(['dpkg', '-x', deb, path.join(work, into)], { timeoutMs: 120_000 });
    if (!x.ok) return x;
  }
  const releases = fs.readdirSync(path.join(work, 'kernel/lib/modules'));
  const release = releases[0];
  if (release === undefined) return err(harnessError('io-failed', 'kernel package has no modules'));
  fs.mkdirSync(path.join(work, 'out'));
  fs.copyFileSync(path.join(work, 'kernel/boot', `vmlinuz-${release}`), `${work}/out/vmlinuz`);
  return ok(release);
}

/** apt-get download names files <name>_<version with ':' as %3a>_<arch>.deb. */
function debFileName(name: string, version: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_amd64.deb`;
}

/** Lay out the root file system and pack it; returns the module load order. */
async function packInitramfs(
  work: string,
  inputs: ImageInputs,
): Promise<Result<string[], HarnessError>> {
  const root = path.join(work, 'root');
  for (const sub of ['bin', 'dev', 'proc', 'sys', 'tmp', 'mnt', 'lib/modules']) {
    fs.mkdirSync(path.join(root, sub), { recursive: true });
  }
  fs.copyFileSync(path.join(work, 'busybox/bin/busybox'), path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  fs.writeFileSync(path.join(root, 'init'), inputs.initScript, { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'bin/agent'), inputs.agentScript, { mode: 0o755 });
  const index = indexModules(path.join(work, 'kernel/lib/modules'));
  const order = orderModules(inputs.modules, (name) => {
    const ko = index.get(name);
    return ko === undefined ? null : moduleDepends(fs.readFileSync(ko));
  });
  if (!order.ok) return order;
  for (const name of order.value) {
    fs.copyFileSync(index.get(name) as string, path.join(root, 'lib/modules', `${name}.ko`));
  }
  fs.writeFileSync(path.join(root, 'lib/modules/order'), `${order.value.join('\n')}\n`);
  const initrd = path.join(work, 'out/initrd.gz');
  const script = `cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 > "$2"`;
  const argv = ['sh', '-c', script, 'pack', root, initrd];
  const packed = await runChecked(argv, { timeoutMs: 120_000 });
  if (!packed.ok) return packed;
  return ok(order.value);
}
