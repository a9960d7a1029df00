/**
 * Where the roles run: network namespaces on one bridge (hw-harness/host HostNetwork). Host 0
 * holds both proposers, each partition victim member gets a host of its own, and the other
 * members share the last host. The clients stay in the root namespace and reach the proposers
 * over the bridge. A partition cuts a victim's host off from every other host (blackhole routes
 * both ways) or takes its link down.
 */
import { runCommand } from '../../run.ts';
import { HostNetwork } from '../../host/index.ts';
import type { Teardown } from '../../host/index.ts';
import type { RolePlacement, RoleRef } from '../../../src/consensus/node/index.ts';

export interface Layout {
  readonly net: HostNetwork;
  /** member id -> host index */
  readonly victims: ReadonlyMap<string, number>;
  placement(role: RoleRef): RolePlacement;
}

/** Hosts needed: proposers, shared members, one per victim. */
export function hostsNeeded(victims: number): number {
  return 2 + victims;
}

/** The host index of a role (pure; unit-tested). */
export function hostOf(role: RoleRef, victims: readonly string[]): number {
  if (role.kind === 'proposer') return 0;
  const at = victims.indexOf(role.id);
  return at >= 0 ? 2 + at : 1;
}

export async function makeLayout(victims: readonly string[], teardown: Teardown):
  Promise<{ ok: true; layout: Layout } | { ok: false; message: string }> {
  const tag = `cn${(process.pid % 1296).toString(36)}`;
  const made = await HostNetwork.create(hostsNeeded(victims.length), teardown,
    { tag, net: 150 + (process.pid % 50) });
  if (!made.ok) return { ok: false, message: `${made.error.code}: ${made.error.message}` };
  const net = made.value;
  const layout: Layout = {
    net,
    victims: new Map(victims.map((v, i) => [v, 2 + i])),
    placement: (role) => {
      const h = net.host(hostOf(role, victims));
      return { launcher: ['ip', 'netns', 'exec', h.netns], host: h.address };
    },
  };
  return { ok: true, layout };
}

/** Cut host `victim` off from every other host (blackhole routes both ways). */
export async function isolate(net: HostNetwork, victim: number): Promise<string | null> {
  for (let h = 0; h < net.hosts.length; h += 1) {
    if (h === victim) continue;
    const cut = await net.partition(victim, h);
    if (!cut.ok) return cut.error.message;
  }
  return null;
}

/** Does a TCP connect from host `from` to host `to`:`port` succeed within 2 s? */
export async function reachable(net: HostNetwork, from: number, to: number, port: number):
  Promise<boolean> {
  const connect = `exec 3<>/dev/tcp/${net.host(to).address}/${port}`;
  const r = await runCommand(['ip', 'netns', 'exec', net.host(from).netns, 'timeout', '2',
    'bash', '-c', connect], { timeoutMs: 5_000 });
  return r.ok && r.value.exitCode === 0;
}
