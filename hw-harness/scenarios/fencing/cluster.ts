/**
 * fencing's node roles (the unchanged entry points src/fencing/node/{issuer,sled,head}-main.ts)
 * as processes, each inside its own network namespace of a HostNetwork (`RoleSpec.launcher` =
 * `ip netns exec <ns>`): they listen on their namespace's address, and the heads reach the
 * issuer and the sleds over veth + bridge. Sleds write their block logs to the given devices
 * (loop devices, NVMe namespaces or files). The harness is the client (root namespace, over
 * the bridge) and keeps the record of every acknowledgement and fence it saw, which the raw
 * device audit checks against.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  err,
  FrameClient,
  ok,
  RoleProcess,
  type Result,
} from '../../../src/runtime/node/index.ts';
import {
  headReplySchema,
  KEY_ENV,
  recordReply,
  type ClientRecord,
  type HeadArgs,
  type HeadReply,
  type HeadRequest,
  type IssuerArgs,
  type SledArgs,
  type SledFile,
} from '../../../src/fencing/node/index.ts';
import type { HostNetwork } from '../../host/index.ts';
import type { Teardown } from '../../host/teardown.ts';

const NODE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
  '../../../src/fencing/node');
const READY_TIMEOUT_MS = 40_000;

export type ClusterError = { code: string; message: string };
/** Where a sled keeps its block log. */
export type SledDevice = { sled: string; dataPath: string; maxBlocks: number;
  destructive: boolean };
/** Which HostNetwork host each role runs in. */
export type Layout = {
  issuer: number;
  sleds: Record<string, number>;
  heads: Record<string, { host: number; extents: number[] }>;
};

export type NetClusterOptions = {
  network: HostNetwork;
  layout: Layout;
  devices: SledDevice[];
  dir: string;
  volume: string;
  writeQuorum: number;
  fenceQuorum: number;
  /** How long a head's write or takeover may wait for its quorum. */
  clientTimeoutMs: number;
  /** Modules exporting `sledSteps` / `issuerSteps` (bug injection from the harness side). */
  injection: { sledSteps?: string; issuerSteps?: string };
  teardown: Teardown;
};

export class NetFencingCluster {
  readonly record: ClientRecord = { acks: [], fences: [], refusals: 0 };
  private readonly clients = new Map<string, FrameClient<HeadRequest, HeadReply>>();

  private constructor(
    private readonly o: NetClusterOptions,
    readonly roles: Map<string, RoleProcess>,
    private readonly sledArgs: Map<string, SledArgs>,
    private readonly headArgs: Map<string, HeadArgs>,
    private readonly issuerArgs: IssuerArgs,
  ) {
    for (const [name, { host }] of Object.entries(o.layout.heads)) {
      const role = this.role(name);
      this.clients.set(name, new FrameClient<HeadRequest, HeadReply>({
        host: o.network.host(host).address, port: role.port, responseSchema: headReplySchema,
        requestTimeoutMs: o.clientTimeoutMs * 3 }));
    }
  }

  static async start(o: NetClusterOptions): Promise<Result<NetFencingCluster, ClusterError>> {
    const env = { [KEY_ENV]: randomBytes(32).toString('hex') };
    const roles = new Map<string, RoleProcess>();
    const spawn = async (name: string, host: number, main: string, args: unknown) => {
      const launched = await RoleProcess.spawn({ name, entry: path.join(NODE_DIR, main), args,
        env, readyTimeoutMs: READY_TIMEOUT_MS,
        launcher: ['ip', 'netns', 'exec', o.network.host(host).netns] });
      if (!launched.ok) return launched;
      const role = launched.value;
      o.teardown.add(`role ${name}`, () => role.kill(), () => role.killNow());
      roles.set(name, role);
      return ok(role);
    };
    const at = (host: number) => o.network.host(host).address;
    const sledArgs = new Map(o.devices.map((d): [string, SledArgs] => [d.sled, {
      name: d.sled, volume: o.volume, dataPath: d.dataPath, maxBlocks: d.maxBlocks,
      destructive: d.destructive, statePath: path.join(o.dir, `${d.sled}.state`),
      host: at(o.layout.sleds[d.sled] ?? -1),
      ...(o.injection.sledSteps === undefined ? {} : { stepsModule: o.injection.sledSteps }),
    }]));
    const issuerArgs: IssuerArgs = { name: 'issuer', statePath: path.join(o.dir, 'issuer.state'),
      host: at(o.layout.issuer), ...(o.injection.issuerSteps === undefined ? {}
        : { stepsModule: o.injection.issuerSteps }) };
    const first = await Promise.all([
      spawn('issuer', o.layout.issuer, 'issuer-main.ts', issuerArgs),
      ...[...sledArgs].map(([name, args]) =>
        spawn(name, o.layout.sleds[name] ?? -1, 'sled-main.ts', args)),
    ]);
    const failed = first.find((r) => !r.ok);
    if (failed !== undefined && !failed.ok) return err(failed.error);
    const headArgs = new Map(Object.entries(o.layout.heads).map(([name, h]):
      [string, HeadArgs] => [name, headArgsOf(o, name, h.extents, roles)]));
    const heads = await Promise.all(Object.entries(o.layout.heads).map(([name, h]) =>
      spawn(name, h.host, 'head-main.ts', headArgs.get(name))));
    const headFailed = heads.find((r) => !r.ok);
    if (headFailed !== undefined && !headFailed.ok) return err(headFailed.error);
    return ok(new NetFencingCluster(o, roles, sledArgs, headArgs, issuerArgs));
  }

  role(name: string): RoleProcess {
    const role = this.roles.get(name);
    if (role === undefined) throw new Error(`assertion failed: no role ${name}`);
    return role;
  }

  /** Make `head` take over its extents (Grant, fence, repair); records the fences. */
  async promote(head: string): Promise<Result<HeadReply, ClusterError>> {
    const reply = await this.ask(head, { type: 'Promote' });
    if (reply.ok) recordReply(this.record, head, reply.value);
    return reply;
  }

  /** A client write through `head`; records the acknowledgement. */
  async write(head: string, extent: number, val: string):
    Promise<Result<HeadReply, ClusterError>> {
    const reply = await this.ask(head, { type: 'ClientWrite', extent, val });
    if (reply.ok) recordReply(this.record, head, reply.value, { extent, val });
    return reply;
  }

  read(head: string, extent: number): Promise<Result<HeadReply, ClusterError>> {
    return this.ask(head, { type: 'ClientRead', extent });
  }

  status(head: string): Promise<Result<HeadReply, ClusterError>> {
    return this.ask(head, { type: 'Status' });
  }

  /** Start a killed sled again on its old address, port and device. */
  async restartSled(name: string): Promise<Result<void, ClusterError>> {
    const args = this.sledArgs.get(name);
    if (args === undefined) return err({ code: 'no-sled', message: `no sled ${name}` });
    const role = this.role(name);
    return role.restart({ ...args, port: role.port });
  }

  /** Start the issuer again on its old address, port and state file. */
  restartIssuer(): Promise<Result<void, ClusterError>> {
    const role = this.role('issuer');
    return role.restart({ ...this.issuerArgs, port: role.port });
  }

  /** Start a crashed head again (fresh volatile state, idle) on its old address and port. */
  async restartHead(name: string): Promise<Result<void, ClusterError>> {
    const args = this.headArgs.get(name);
    if (args === undefined) return err({ code: 'no-head', message: `no head ${name}` });
    const role = this.role(name);
    return role.restart({ ...args, port: role.port });
  }

  sledFiles(): SledFile[] {
    return [...this.sledArgs.values()].map((a) => ({ sled: a.name, dataPath: a.dataPath,
      statePath: a.statePath }));
  }

  async closeClients(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  private async ask(head: string, request: HeadRequest):
    Promise<Result<HeadReply, ClusterError>> {
    const client = this.clients.get(head);
    if (client === undefined) return err({ code: 'no-head', message: `no head ${head}` });
    const reply = await client.request(request);
    return reply.ok ? reply : err({ code: reply.error.code, message: reply.error.message });
  }
}

function headArgsOf(o: NetClusterOptions, name: string, extents: number[],
  roles: Map<string, RoleProcess>): HeadArgs {
  const port = (role: string) => roles.get(role)?.port ?? 0;
  const at = (host: number) => o.network.host(host).address;
  return {
    name, volume: o.volume, extents, host: at(o.layout.heads[name]?.host ?? -1),
    issuerHost: at(o.layout.issuer), issuerPort: port('issuer'),
    sleds: Object.entries(o.layout.sleds).map(([sled, host]) => ({ name: sled,
      host: at(host), port: port(sled) })),
    writeQuorum: o.writeQuorum, fenceQuorum: o.fenceQuorum,
    clientTimeoutMs: o.clientTimeoutMs, requestTimeoutMs: 1000,
  };
}
