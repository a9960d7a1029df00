/**
 * Start groups of members and proposers on loopback: members as processes (each with its own
 * WAL directory) or in this process (real TCP and WAL, for benchmarks); proposers as processes
 * (so tests can SIGKILL them) or in this process. Members and proposers keep their port across
 * restarts, so the others reconnect on their own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FrameClient, RoleProcess, startFrameServer, type FrameServer, type Result, type TcpError,
} from '../../runtime/node/index.ts';
import { auditWals, type AuditReport } from './audit.ts';
import { TxnClient, type TransactResult } from './client.ts';
import { Member } from './member.ts';
import { openMemberWal } from './member-wal.ts';
import { ProposerNode, type ProposerNodeConfig } from './proposer.ts';
import { tcpTransport } from './transport.ts';
import {
  MemberRequestSchema, ProposerReplySchema, ProposerRequestSchema, type Endpoint,
  type ProposerRequest, type Groups, type MemberReply,
  type ProposerReply,
} from './wire.ts';
import type { MemberArgs } from './member-main.ts';
import type { ProposerArgs } from './proposer-main.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface TxnClusterOptions {
  readonly groups: number;
  readonly membersPerGroup?: number;
  readonly accountsPerGroup: number;
  readonly initialBalance: number;
  readonly proposers?: readonly string[];
  readonly membersAs?: 'process' | 'inproc';
  readonly proposersAs?: 'process' | 'inproc';
  readonly dir?: string;
  readonly timing?: Pick<ProposerNodeConfig, 'txnRetryMs' | 'recoverAfterMs' | 'paxosRetryMs'>;
  /** Replaced core steps for in-process proposers (bug injection from tests). */
  readonly steps?: Pick<ProposerNodeConfig, 'outcome' | 'participantSteps'>;
  /**
   * Where a process role runs (default: this host's namespace, 127.0.0.1): an argv prefix that
   * execs it (e.g. `['ip', 'netns', 'exec', ns]`) and the address it binds and is reached at.
   */
  readonly placement?: (role: RoleRef) => RolePlacement | undefined;
}

export interface RoleRef { readonly kind: 'member' | 'proposer'; readonly id: string }
export interface RolePlacement { readonly launcher?: readonly string[]; readonly host: string }

export interface RoleHandle {
  readonly id: string;
  readonly port: number;
  alive(): boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT (process roles only). */
  pause?(): void;
  resume?(): void;
}

export class TxnCluster {
  readonly members = new Map<string, RoleHandle>();
  readonly proposers = new Map<string, RoleHandle>();
  /** In-process proposer nodes (proposersAs 'inproc'), for counters. */
  readonly proposerNodes = new Map<string, ProposerNode>();
  readonly endpoints: Groups = {};
  readonly memberDirs: Record<string, Record<string, string>> = {};
  readonly balances: Record<string, Record<string, number>> = {};
  private readonly clients: TxnClient[] = [];
  private readonly proposerHosts = new Map<string, string>();

  private constructor(readonly dir: string, readonly options: TxnClusterOptions) {}

  static async start(options: TxnClusterOptions): Promise<TxnCluster> {
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cn-'));
    const c = new TxnCluster(dir, options);
    const size = options.membersPerGroup ?? 3;
    const starts: Promise<void>[] = [];
    for (let gi = 1; gi <= options.groups; gi += 1) {
      const g = `g${gi}`;
      c.endpoints[g] = [];
      c.memberDirs[g] = {};
      c.balances[g] = {};
      for (let a = 0; a < options.accountsPerGroup; a += 1) {
        c.balances[g]![`${g}a${a}`] = options.initialBalance;
      }
      for (let mi = 1; mi <= size; mi += 1) starts.push(c.startMember(g, `${g}m${mi}`));
    }
    await Promise.all(starts);
    for (const ms of Object.values(c.endpoints)) ms.sort((a, b) => a.id.localeCompare(b.id));
    await Promise.all((options.proposers ?? ['p1', 'p2']).map((p) => c.startProposer(p)));
    return c;
  }

  get groupIds(): string[] {
    return Object.keys(this.endpoints);
  }

  account(group: string, index: number): string {
    return `${group}a${index}`;
  }

  proposerEndpoints(): Endpoint[] {
    return [...this.proposers.values()].map((p) => ({ id: p.id,
      host: this.proposerHosts.get(p.id) ?? '127.0.0.1', port: p.port }));
  }

  client(name: string): TxnClient {
    const c = new TxnClient(this.proposerEndpoints(), name);
    this.clients.push(c);
    return c;
  }

  /** One request to a proposer (Drain, Stats) on a short-lived connection. */
  async ask(proposer: string, req: ProposerRequest, timeoutMs: number):
    Promise<Result<ProposerReply, TcpError>> {
    const p = this.proposers.get(proposer);
    if (p === undefined) throw new Error(`assertion: unknown proposer ${proposer}`);
    const c = new FrameClient<ProposerRequest, ProposerReply>({ port: p.port,
      host: this.proposerHosts.get(proposer) ?? '127.0.0.1', responseSchema: ProposerReplySchema,
      maxReconnectAttempts: 5 });
    try {
      return await c.request(req, timeoutMs);
    } finally {
      await c.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await Promise.all([...this.proposers.values()].map((p) => p.kill()));
    await Promise.all([...this.members.values()].map((m) => m.kill()));
  }

  /** Audit the WALs (call after stop()). */
  audit(told: readonly TransactResult[]): Promise<AuditReport> {
    const groups = Object.fromEntries(this.groupIds.map((g) => [g,
      { members: this.memberDirs[g]!, balances: this.balances[g]! }]));
    return auditWals(groups, told);
  }

  removeDir(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async startMember(group: string, id: string): Promise<void> {
    const walDir = path.join(this.dir, id);
    fs.mkdirSync(walDir, { recursive: true });
    this.memberDirs[group]![id] = walDir;
    const at = this.options.membersAs === 'inproc' ? undefined
      : this.options.placement?.({ kind: 'member', id });
    const handle = this.options.membersAs === 'inproc'
      ? await inprocMember(id, walDir)
      : await processMember({ id, group, dir: walDir, port: 0,
        ...(at === undefined ? {} : { host: at.host }) }, at?.launcher);
    this.members.set(id, handle);
    this.endpoints[group]!.push({ id, host: at?.host ?? '127.0.0.1', port: handle.port });
  }

  private async startProposer(id: string): Promise<void> {
    const timing = this.options.timing ?? {};
    if (this.options.proposersAs === 'inproc') {
      const memberIds = Object.fromEntries(Object.entries(this.endpoints)
        .map(([g, ms]) => [g, ms.map((m) => m.id)]));
      const h = await inprocProposer({ id, groups: memberIds, ...timing,
        ...(this.options.steps ?? {}) }, this.endpoints,
        (n) => this.proposerNodes.set(id, n));
      this.proposers.set(id, h);
      return;
    }
    if (this.options.steps !== undefined) throw new Error('assertion: steps need inproc proposers');
    const at = this.options.placement?.({ kind: 'proposer', id });
    const args: ProposerArgs = { id, groups: this.endpoints, port: 0, ...timing,
      ...(at === undefined ? {} : { host: at.host }) };
    if (at !== undefined) this.proposerHosts.set(id, at.host);
    this.proposers.set(id, await processRole(id, path.join(here, 'proposer-main.ts'), args,
      at?.launcher));
  }
}

async function processRole(name: string, entry: string, args: { port: number },
  launcher?: readonly string[]): Promise<RoleHandle> {
  const spawned = await RoleProcess.spawn({ name, entry, args, readyTimeoutMs: 30_000,
    ...(launcher === undefined ? {} : { launcher }) });
  if (!spawned.ok) throw new Error(`assertion: ${name} did not start: ${spawned.error.message}`);
  const role = spawned.value;
  const port = role.port;
  return {
    id: name, port, alive: () => role.alive, kill: () => role.kill(),
    pause: () => role.pause(), resume: () => role.resume(),
    restart: async () => {
      const r = await role.restart({ ...args, port });
      if (!r.ok) throw new Error(`assertion: ${name} did not restart: ${r.error.message}`);
    },
  };
}

function processMember(args: MemberArgs, launcher?: readonly string[]): Promise<RoleHandle> {
  return processRole(args.id, path.join(here, 'member-main.ts'), args, launcher);
}

async function inprocMember(id: string, dir: string): Promise<RoleHandle> {
  let server: FrameServer | null = null;
  let closeLog: (() => Promise<void>) | null = null;
  const start = async (port: number): Promise<number> => {
    const opened = await openMemberWal(dir);
    if (!opened.ok) throw new Error(`assertion: WAL of ${id}: ${opened.error.message}`);
    const member = new Member(id, opened.value.log, opened.value.records);
    const s = await startFrameServer<unknown, MemberReply>({ port,
      requestSchema: MemberRequestSchema,
      handle: (req) => member.handle(MemberRequestSchema.parse(req)),
      maxInFlightPerConnection: 4096 });
    if (!s.ok) throw new Error(`assertion: ${id} listen: ${s.error.message}`);
    server = s.value;
    closeLog = () => opened.value.log.close();
    return s.value.port;
  };
  const port = await start(0);
  const kill = async (): Promise<void> => {
    await server?.close();
    await closeLog?.();
    server = null;
  };
  return { id, port, alive: () => server !== null, kill,
    restart: async () => { await kill(); await start(port); } };
}

async function inprocProposer(config: ProposerNodeConfig, groups: Groups,
  onNode: (n: ProposerNode) => void): Promise<RoleHandle> {
  let node: ProposerNode | null = null;
  let server: FrameServer | null = null;
  const start = async (port: number): Promise<number> => {
    const n = new ProposerNode(config, tcpTransport(groups));
    node = n;
    onNode(n);
    const s = await startFrameServer<unknown, ProposerReply>({ port,
      requestSchema: ProposerRequestSchema, maxInFlightPerConnection: 8192, maxConnections: 256,
      handle: (raw) => {
        const req = ProposerRequestSchema.parse(raw);
        if (req.type === 'Begin') return n.begin(req.txn, req.waitMs, req.lc);
        if (req.type === 'Await') return n.awaitDecision(req.txnId, req.waitMs);
        if (req.type === 'Drain') return n.drain(req.waitMs);
        return { type: 'Stats', stats: n.stats() };
      } });
    if (!s.ok) throw new Error(`assertion: ${config.id} listen: ${s.error.message}`);
    server = s.value;
    return s.value.port;
  };
  const port = await start(0);
  const kill = async (): Promise<void> => {
    await server?.close();
    await node?.close();
    server = null;
    node = null;
  };
  return { id: config.id, port, alive: () => node !== null, kill,
    restart: async () => { await kill(); await start(port); } };
}
