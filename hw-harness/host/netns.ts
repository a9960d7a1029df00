/**
 * Network namespaces as separate hosts: one bridge in the root namespace, and per host a
 * namespace `<tag>h<i>` whose `eth0` (one end of a veth pair, the other end on the bridge) has
 * 10.<net>.0.<i+1>/24. The bridge has 10.<net>.0.254, so the test runner reaches every host.
 *
 * Faults: `partition(a, b)` adds blackhole routes both ways (heal removes them), `isolate(h)`
 * takes eth0 down, `netem(h, …)` sets delay/loss with `tc qdisc … netem` (an `unsupported`
 * error where the kernel has no sch_netem). Everything is registered with the Teardown.
 */
import { err, harnessError, ok, runChecked, runCommand, type HarnessError, type Result } from '../run.ts';
import { runQuietSync, type Teardown } from './teardown.ts';

const HOSTS_MAX = 32;

export type NetHost = { index: number; netns: string; address: string; vethHost: string };

export type NetemOptions = { delayMs?: number; jitterMs?: number; lossPercent?: number };

export class HostNetwork {
  private readonly blackholes = new Set<string>();

  private constructor(
    readonly tag: string,
    readonly bridge: string,
    readonly gateway: string,
    readonly hosts: NetHost[],
  ) {}

  /** Create `count` hosts; tag is 2..6 chars [a-z0-9] and names every device (<= 15 chars). */
  static async create(
    count: number,
    teardown: Teardown,
    options: { tag?: string; net?: number } = {},
  ): Promise<Result<HostNetwork, HarnessError>> {
    if (!Number.isInteger(count) || count < 1 || count > HOSTS_MAX) {
      return err(harnessError('refused', `host count ${count} outside 1..${HOSTS_MAX}`));
    }
    const tag = options.tag ?? `pl${(process.pid % 46_656).toString(36)}`;
    if (!/^[a-z0-9]{2,6}$/.test(tag)) return err(harnessError('refused', `bad tag ${tag}`));
    const net = await freeNet(options.net ?? 100 + (process.pid % 100));
    if (net === null) return err(harnessError('refused', 'no free 10.<net>.0.0/24 for the hosts'));
    const bridge = `${tag}br`;
    const made = await run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    if (!made.ok) return made;
    teardown.add(`bridge ${bridge}`, async () => void (await run(['ip', 'link', 'del', bridge])),
      () => runQuietSync(['ip', 'link', 'del', bridge]));
    const gateway = `10.${net}.0.254`;
    for (const argv of [
      ['ip', 'addr', 'add', `${gateway}/24`, 'dev', bridge],
      ['ip', 'link', 'set', bridge, 'up'],
    ]) {
      const done = await run(argv);
      if (!done.ok) return done;
    }
    const hosts: NetHost[] = [];
    for (let index = 0; index < count; index += 1) {
      const host = await addHost(tag, bridge, net, index, teardown);
      if (!host.ok) return host;
      hosts.push(host.value);
    }
    return ok(new HostNetwork(tag, bridge, gateway, hosts));
  }

  /** The second octet of the hosts' 10.<net>.0.0/24 (chosen free when created). */
  get net(): number {
    return Number(this.gateway.split('.')[1]);
  }

  host(index: number): NetHost {
    const host = this.hosts[index];
    if (host === undefined) throw new Error(`assertion failed: no host ${index}`);
    return host;
  }

  /** Drop traffic between hosts a and b (both directions). */
  async partition(a: number, b: number): Promise<Result<void, HarnessError>> {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const key = `${from}>${to}`;
      if (this.blackholes.has(key)) continue;
      const route = ['ip', 'route', 'add', 'blackhole', `${this.host(to).address}/32`];
      const done = await run(['ip', 'netns', 'exec', this.host(from).netns, ...route]);
      if (!done.ok) return done;
      this.blackholes.add(key);
    }
    return ok(undefined);
  }

  /** Undo every partition. */
  async heal(): Promise<Result<void, HarnessError>> {
    for (const key of [...this.blackholes]) {
      const [from, to] = key.split('>').map(Number) as [number, number];
      const route = ['ip', 'route', 'del', 'blackhole', `${this.host(to).address}/32`];
      const done = await run(['ip', 'netns', 'exec', this.host(from).netns, ...route]);
      if (!done.ok) return done;
      this.blackholes.delete(key);
    }
    return ok(undefined);
  }

  /** Take a host's link down (up=false) or up again. */
  async setLink(index: number, up: boolean): Promise<Result<void, HarnessError>> {
    const argv = ['ip', 'link', 'set', 'eth0', up ? 'up' : 'down'];
    const done = await run(['ip', 'netns', 'exec', this.host(index).netns, ...argv]);
    return done.ok ? ok(undefined) : done;
  }

  /** Delay/loss on a host's eth0 via tc netem; `null` options remove it. */
  async netem(index: number, options: NetemOptions | null): Promise<Result<void, HarnessError>> {
    const ns = ['ip', 'netns', 'exec', this.host(index).netns];
    if (options === null) {
      const done = await run([...ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
      return done.ok ? ok(undefined) : done;
    }
    const done = await run([...ns, 'tc', 'qdisc', 'replace', 'dev', 'eth0', 'root',
      ...netemArgs(options)]);
    if (done.ok) return ok(undefined);
    if (/unknown|not supported|No such file/i.test(done.error.message)) {
      return err(harnessError('unsupported', `tc netem unavailable here: ${done.error.message}`));
    }
    return done;
  }
}

/** The `netem …` words for tc (pure; unit-tested). */
export function netemArgs(options: NetemOptions): string[] {
  const words = ['netem'];
  if (options.delayMs !== undefined) {
    words.push('delay', `${options.delayMs}ms`);
    if (options.jitterMs !== undefined) words.push(`${options.jitterMs}ms`);
  }
  if (options.lossPercent !== undefined) words.push('loss', `${options.lossPercent}%`);
  return words;
}

async function addHost(
  tag: string,
  bridge: string,
  net: number,
  index: number,
  teardown: Teardown,
): Promise<Result<NetHost, HarnessError>> {
  const netns = `${tag}h${index}`;
  const vethHost = `${tag}v${index}`;
  const peer = `${tag}p${index}`;
  const address = `10.${net}.0.${index + 1}`;
  const made = await run(['ip', 'netns', 'add', netns]);
  if (!made.ok) return made;
  teardown.add(`netns ${netns}`, async () => void (await run(['ip', 'netns', 'del', netns])),
    () => runQuietSync(['ip', 'netns', 'del', netns]));
  const inNs = ['ip', 'netns', 'exec', netns];
  const steps = [
    ['ip', 'link', 'add', vethHost, 'type', 'veth', 'peer', 'name', peer],
    ['ip', 'link', 'set', vethHost, 'master', bridge],
    ['ip', 'link', 'set', vethHost, 'up'],
    ['ip', 'link', 'set', peer, 'netns', netns],
    [...inNs, 'ip', 'link', 'set', peer, 'name', 'eth0'],
    [...inNs, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0'],
    [...inNs, 'ip', 'link', 'set', 'eth0', 'up'],
    [...inNs, 'ip', 'link', 'set', 'lo', 'up'],
  ];
  for (const [at, argv] of steps.entries()) {
    const done = await run(argv);
    if (!done.ok) return done;
    if (at === 0) {
      const del = ['ip', 'link', 'del', vethHost];
      teardown.add(`veth ${vethHost}`, async () => void (await run(del)),
        () => runQuietSync(['ip', 'link', 'del', vethHost]));
    }
  }
  return ok({ index, netns, address, vethHost });
}

async function run(argv: string[]): Promise<Result<void, HarnessError>> {
  const done = await runChecked(argv, { timeoutMs: 15_000 });
  return done.ok ? ok(undefined) : done;
}

/**
 * `preferred` if no interface of this namespace has an address in 10.<preferred>.0.0/24, else
 * the next free one (wrapping within 100..249): two harness runs at once on one machine must
 * not put two bridges on one subnet (the root namespace would route to only one of them).
 */
export async function freeNet(preferred: number): Promise<number | null> {
  const listed = await runCommand(['ip', '-4', '-o', 'addr', 'show'], { timeoutMs: 10_000 });
  const used = new Set<number>();
  if (listed.ok) {
    for (const m of listed.value.stdout.matchAll(/inet 10\.(\d+)\.0\.\d+\//g)) used.add(Number(m[1]));
  }
  for (let i = 0; i < 150; i += 1) {
    const net = 100 + ((preferred - 100 + i) % 150 + 150) % 150;
    if (!used.has(net)) return net;
  }
  return null;
}
