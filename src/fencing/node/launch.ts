/**
 * Start a fencing cluster as separate processes on loopback: one issuer, N sled controllers
 * (each on its own file in a temp dir), and head nodes; plus a small client that records every
 * acknowledgement and fence it saw (the record the audit checks the raw files against).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  err,
  FrameClient,
  ok,
  RoleProcess,
  type Result,
} from '../../runtime/node/index.ts';
import {
  headReplySchema,
  sledReplySchema,
  type HeadReply,
  type HeadRequest,
  type SledReply,
  type SledRequest,
  type SledStats,
} from './wire.ts';
import { KEY_ENV, type HeadArgs, type SledArgs } from './roles.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export type ClusterOptions = {
  sleds?: number;
  heads?: number;
  extents?: number[];
  writeQuorum?: number;
  fenceQuorum?: number;
  volume?: string;
  /** Where files go (default: a fresh temp dir). */
  dir?: string;
  requestTimeoutMs?: number;
};

export type AckRecord = { extent: number; epoch: number; seq: number; val: string;
  head: string; sleds: string[] };
export type FenceRecord = { extent: number; epoch: number; head: string; sleds: string[] };
export type ClientRecord = { acks: AckRecord[]; fences: FenceRecord[]; refusals: number };

/**
 * Adds what a head's answer tells the audit to `record`: the fences of a `Promoted`, the
 * acknowledgement of a `WriteAcked` (any other answer to a write counts as a refusal).
 */
export function recordReply(record: ClientRecord, head: string, reply: HeadReply,
  write?: { extent: number; val: string }): void {
  if (reply.type === 'Promoted') {
    for (const [extent, epoch] of Object.entries(reply.epochs)) {
      const sleds = reply.fenced[extent] ?? [];
      record.fences.push({ extent: Number(extent), epoch, head, sleds });
    }
  } else if (write !== undefined && reply.type === 'WriteAcked') {
    record.acks.push({ extent: write.extent, epoch: reply.epoch, seq: reply.seq, val: write.val,
      head, sleds: reply.sleds });
  } else if (write !== undefined) {
    record.refusals += 1;
  }
}
export type ClusterError = { code: string; message: string };
/** A sled's raw files: its data log (file or device) and its maxEpoch state file. */
export type SledFile = { sled: string; dataPath: string; statePath: string };

export class FencingCluster {
  readonly record: ClientRecord = { acks: [], fences: [], refusals: 0 };
  current: string | null = null;
  private readonly clients = new Map<string, FrameClient<HeadRequest, HeadReply>>();

  private constructor(
    readonly dir: string,
    readonly options: Required<Omit<ClusterOptions, 'dir'>>,
    readonly issuer: RoleProcess,
    readonly sleds: Map<string, RoleProcess>,
    readonly heads: Map<string, RoleProcess>,
    private readonly sledArgs: Map<string, SledArgs>,
  ) {
    for (const [name, role] of heads) {
      this.clients.set(name, new FrameClient<HeadRequest, HeadReply>({ port: role.port,
        responseSchema: headReplySchema, requestTimeoutMs: 5000 }));
    }
  }

  static async start(options: ClusterOptions = {}): Promise<Result<FencingCluster, ClusterError>> {
    const o = {
      sleds: options.sleds ?? 3, heads: options.heads ?? 2, extents: options.extents ?? [0, 1],
      writeQuorum: options.writeQuorum ?? 2, fenceQuorum: options.fenceQuorum ?? 2,
      volume: options.volume ?? 'vol-1', requestTimeoutMs: options.requestTimeoutMs ?? 1000,
    };
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-fencing-'));
    const env = { [KEY_ENV]: randomBytes(32).toString('hex') };
    const spawn = (name: string, main: string, args: unknown) =>
      RoleProcess.spawn({ name, entry: path.join(here, main), args, env });
    const issuer = await spawn('issuer', 'issuer-main.ts', { name: 'issuer',
      statePath: path.join(dir, 'issuer.state') });
    if (!issuer.ok) return err(issuer.error);
    const sledNames = Array.from({ length: o.sleds }, (_, i) => `sled-${i + 1}`);
    const sledArgs = new Map(sledNames.map((name): [string, SledArgs] => [name, { name,
      volume: o.volume, dataPath: path.join(dir, `${name}.img`),
      statePath: path.join(dir, `${name}.state`) }]));
    const sleds = await Promise.all(sledNames.map((n) => spawn(n, 'sled-main.ts',
      sledArgs.get(n))));
    const sledMap = new Map<string, RoleProcess>();
    for (const [i, s] of sleds.entries()) {
      if (!s.ok) return err(s.error);
      sledMap.set(sledNames[i]!, s.value);
    }
    const headMap = new Map<string, RoleProcess>();
    for (let i = 0; i < o.heads; i++) {
      const name = `head-${String.fromCharCode(97 + i)}`;
      const args: HeadArgs = { name, volume: o.volume, issuerPort: issuer.value.port,
        sleds: [...sledMap].map(([n, r]) => ({ name: n, port: r.port })), extents: o.extents,
        writeQuorum: o.writeQuorum, fenceQuorum: o.fenceQuorum,
        requestTimeoutMs: o.requestTimeoutMs };
      const head = await spawn(name, 'head-main.ts', args);
      if (!head.ok) return err(head.error);
      headMap.set(name, head.value);
    }
    return ok(new FencingCluster(dir, o, issuer.value, sledMap, headMap, sledArgs));
  }

  headNames(): string[] {
    return [...this.heads.keys()];
  }

  /** Make `head` take over every extent; records the fences. */
  async promote(head: string): Promise<Result<HeadReply, ClusterError>> {
    const reply = await this.ask(head, { type: 'Promote' });
    if (!reply.ok) return reply;
    if (reply.value.type === 'Promoted') this.current = head;
    recordReply(this.record, head, reply.value);
    return reply;
  }

  /** Write through `via` (default: the current head); records acknowledgements. */
  async write(extent: number, val: string, via?: string): Promise<Result<HeadReply, ClusterError>> {
    const head = via ?? this.current;
    if (head === null) return err({ code: 'no-head', message: 'no head promoted yet' });
    const reply = await this.ask(head, { type: 'ClientWrite', extent, val });
    if (reply.ok) recordReply(this.record, head, reply.value, { extent, val });
    return reply;
  }

  read(extent: number, via?: string): Promise<Result<HeadReply, ClusterError>> {
    const head = via ?? this.current;
    if (head === null) return Promise.resolve(err({ code: 'no-head', message: 'no head' }));
    return this.ask(head, { type: 'ClientRead', extent });
  }

  /** Restart a sled on its old port and files (after a kill). */
  async restartSled(name: string): Promise<Result<void, ClusterError>> {
    const role = this.sleds.get(name);
    const args = this.sledArgs.get(name);
    if (role === undefined || args === undefined) {
      return err({ code: 'no-sled', message: `no sled ${name}` });
    }
    return role.restart({ ...args, port: role.port });
  }

  sledFiles(): SledFile[] {
    return [...this.sledArgs.values()].map((a) => ({ sled: a.name, dataPath: a.dataPath,
      statePath: a.statePath }));
  }

  /** Ask a sled for its counters (bad MACs refused, blocks and state writes, requests). */
  async sledStats(name: string): Promise<Result<SledStats, ClusterError>> {
    const role = this.sleds.get(name);
    if (role === undefined) return err({ code: 'no-sled', message: `no sled ${name}` });
    const reply = await this.askSled(name, { type: 'GetStats' });
    if (!reply.ok) return reply;
    if (reply.value.type !== 'SledStats') {
      return err({ code: 'bad-answer', message: `stats answered ${reply.value.type}` });
    }
    return ok(reply.value);
  }

  /** Send one raw request to a sled (tests: forged credentials; benches: counters). */
  async askSled(name: string, request: SledRequest): Promise<Result<SledReply, ClusterError>> {
    const role = this.sleds.get(name);
    if (role === undefined) return err({ code: 'no-sled', message: `no sled ${name}` });
    const client = new FrameClient<SledRequest, SledReply>({ port: role.port,
      responseSchema: sledReplySchema, requestTimeoutMs: 5000 });
    try {
      const reply = await client.request(request);
      return reply.ok ? reply : err({ code: reply.error.code, message: reply.error.message });
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    const roles = [this.issuer, ...this.sleds.values(), ...this.heads.values()];
    await Promise.all(roles.map((r) => r.kill()));
  }

  private async ask(head: string, request: HeadRequest): Promise<Result<HeadReply, ClusterError>> {
    const client = this.clients.get(head);
    if (client === undefined) return err({ code: 'no-head', message: `no head ${head}` });
    const reply = await client.request(request);
    return reply.ok ? reply : err({ code: reply.error.code, message: reply.error.message });
  }
}
