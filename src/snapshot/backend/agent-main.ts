/**
 * The process backend's agent: one instance, as a child node process. argv[2] carries its
 * arguments (agentArgsSchema); frames on stdin/stdout carry requests and replies. A cold start
 * builds the ready state (slow on purpose); a restore loads an image file instead and then
 * waits for its `resume` frame (generation + entropy) before it serves anything else. The agent
 * exits when its stdin closes (the host went away).
 */
import fs from 'node:fs';
import net from 'node:net';
import {
  atomicReplaceFile,
  describeError,
  encodeFrame,
  FrameDecoder,
  parseRoleArgs,
} from '../../runtime/node/index.ts';
import {
  agentArgsSchema,
  agentRequestSchema,
  imageFileSchema,
  type AgentFrame,
  type AgentReplyBody,
  type AgentRequestBody,
  type StartArgs,
} from './agent-wire.ts';
import {
  allocateGarbage, coldState, draw, fromImage, garbageBytes, imageDigest, readyDigest, reseed,
  stateDigest, toImage, type AgentState, type LiveConnection,
} from './agent-state.ts';
import { readPreservedFile, writePreservedFile } from './preserved.ts';

const MAX_AGENT_FRAME_BYTES = 64 << 20;

class AgentFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function send(frame: AgentFrame): void {
  const encoded = encodeFrame(frame, MAX_AGENT_FRAME_BYTES);
  if (encoded.ok) process.stdout.write(encoded.value);
}

function loadImage(snapshotPath: string, slot: string): AgentState {
  const parsed = imageFileSchema.safeParse(JSON.parse(fs.readFileSync(snapshotPath, 'utf8')));
  if (!parsed.success) throw new AgentFailure('snapshot-invalid', 'image fails its schema');
  if (imageDigest(parsed.data.image) !== parsed.data.digest) {
    throw new AgentFailure('snapshot-invalid', 'image digest mismatch');
  }
  return fromImage(parsed.data.image, slot);
}

async function sleep(ms: number): Promise<void> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

class Agent {
  private resumed: boolean;
  constructor(private readonly args: StartArgs, private readonly state: AgentState) {
    this.resumed = args.mode === 'cold';
  }

  async handle(body: AgentRequestBody): Promise<AgentReplyBody> {
    if (!this.resumed && body.type !== 'resume') {
      throw new AgentFailure('not-resumed', 'a restored instance runs nothing before resume');
    }
    switch (body.type) {
      case 'start':
        throw new AgentFailure('already-started', 'this agent already runs an instance');
      case 'resume':
        if (this.resumed) throw new AgentFailure('already-resumed', 'resume comes once');
        reseed(this.state, body.generation, Buffer.from(body.entropyHex, 'hex'));
        this.resumed = true;
        return { type: 'resumed', generation: this.state.generation };
      case 'execute':
        return this.execute(body.execution);
      case 'info':
        return { type: 'info', info: this.info() };
      case 'snapshot':
        return this.snapshot(body.path);
      case 'random':
        return { type: 'random', hex: draw(this.state, body.bytes).toString('hex') };
      case 'open-connection':
        return this.openConnection(body.host, body.port);
      case 'connections':
        return { type: 'connections', connections: this.connectionList() };
      case 'close-connections':
        return { type: 'closed', connectionIds: await this.closeConnections() };
      default: {
        const never: never = body;
        throw new Error(`unhandled request ${JSON.stringify(never)}`);
      }
    }
  }

  private async execute(execution: Extract<AgentRequestBody, { type: 'execute' }>['execution'])
    : Promise<AgentReplyBody> {
    await sleep(execution.durationMs);
    allocateGarbage(this.state, execution.garbageBytes);
    this.state.executions += 1;
    if (Object.keys(execution.preservedWrites).length > 0) {
      const current = readPreservedFile(this.args.preservedPath);
      if (!current.ok) throw new AgentFailure('io-failed', current.error.message);
      const next = { version: current.value.version + 1,
        entries: { ...current.value.entries, ...execution.preservedWrites } };
      const written = writePreservedFile(this.args.preservedPath, next);
      if (!written.ok) throw new AgentFailure('io-failed', written.error.message);
    }
    return { type: 'executed', executionId: execution.executionId,
      generation: this.state.generation, garbageBytes: garbageBytes(this.state),
      nonceHex: draw(this.state, 16).toString('hex') };
  }

  private info() {
    return {
      instanceId: this.args.instanceId, slot: this.state.slot, generation: this.state.generation,
      garbageBytes: garbageBytes(this.state), executions: this.state.executions,
      stateDigest: stateDigest(this.state), readyDigest: readyDigest(this.state.table),
      origin: this.args.mode === 'cold' ? 'cold' as const : 'restore' as const,
    };
  }

  private snapshot(path: string): AgentReplyBody {
    const image = toImage(this.state);
    const bytes = Buffer.from(JSON.stringify({ image, digest: imageDigest(image) }), 'utf8');
    const written = atomicReplaceFile(path, bytes);
    if (!written.ok) throw new AgentFailure('io-failed', written.error.message);
    return { type: 'snapshotted', bytes: bytes.length, stateDigest: stateDigest(this.state),
      garbageBytes: garbageBytes(this.state), generation: this.state.generation };
  }

  private async openConnection(host: string, port: number): Promise<AgentReplyBody> {
    const connectionId = `${this.args.instanceId}-c${this.state.nextConnection++}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(s));
      s.once('error', (e) => reject(new AgentFailure('connect-failed', describeError(e))));
    });
    socket.on('error', () => undefined);
    const hello = { instanceId: this.args.instanceId, slot: this.state.slot, connectionId };
    socket.write(`${JSON.stringify(hello)}\n`);
    const record: LiveConnection = { connectionId, localPort: socket.localPort ?? 0, socket,
      open: true };
    socket.on('close', () => { record.socket = null; });
    this.state.connections.set(connectionId, record);
    return { type: 'connection', connection: describeConnection(record) };
  }

  private connectionList() {
    return [...this.state.connections.values()].map(describeConnection);
  }

  private async closeConnections(): Promise<string[]> {
    const closing = [...this.state.connections.values()].filter((c) => c.open);
    await Promise.all(closing.map(async (c) => {
      c.open = false;
      const socket = c.socket;
      if (socket === null || socket.destroyed) return;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => socket.destroy(), 2000);
        socket.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        socket.end();
      });
    }));
    for (const c of closing) this.state.connections.delete(c.connectionId);
    return closing.map((c) => c.connectionId);
  }
}

function describeConnection(c: LiveConnection) {
  const state = !c.open ? 'closed' as const : c.socket === null ? 'half-open' as const
    : 'open' as const;
  return { connectionId: c.connectionId, localPort: c.localPort, state };
}

/** Build the instance (the slow cold initialisation or the image load); throws on failure. */
function startInstance(args: StartArgs): { agent: Agent; readyMs: number } {
  const t0 = performance.now();
  const state = args.mode === 'cold'
    ? coldState(args.slot, args.ready, args.generation, Buffer.from(args.entropyHex, 'hex'))
    : loadImage(args.snapshotPath, args.slot);
  return { agent: new Agent(args, state), readyMs: performance.now() - t0 };
}

/**
 * Serve frames from stdin. An idle agent has no instance yet: its first request must be
 * `start`. Requests run one after another, except executions, which may overlap (as in a VM).
 */
function serve(initial: Agent | null): void {
  let agent = initial;
  const decoder = new FrameDecoder(agentRequestSchema, MAX_AGENT_FRAME_BYTES);
  let queue = Promise.resolve();
  const handle = async (body: AgentRequestBody): Promise<AgentReplyBody> => {
    if (agent !== null) return agent.handle(body);
    if (body.type !== 'start') throw new AgentFailure('idle', 'an idle agent must be started');
    const started = startInstance(body.args);
    agent = started.agent;
    return { type: 'started', readyMs: started.readyMs };
  };
  process.stdin.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.type === 'fatal') process.exit(3);
      if (event.type !== 'message') continue;
      const { id, body } = event.value;
      const run = async (): Promise<void> => {
        try {
          send({ kind: 'reply', id, body: await handle(body) });
        } catch (thrown) {
          const code = thrown instanceof AgentFailure ? thrown.code : 'agent-bug';
          send({ kind: 'error', id, error: { code, message: describeError(thrown) } });
        }
      };
      if (body.type === 'execute') void run();
      else queue = queue.then(run);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

function main(): void {
  const t0 = performance.now();
  const args = parseRoleArgs(agentArgsSchema);
  if (!args.ok) {
    process.stderr.write(`${args.error.message}\n`);
    process.exit(2);
  }
  let agent: Agent | null = null;
  if (args.value.mode !== 'idle') {
    try {
      agent = startInstance(args.value).agent;
    } catch (thrown) {
      process.stderr.write(`agent start failed: ${describeError(thrown)}\n`);
      process.exit(4);
    }
  }
  serve(agent);
  send({ kind: 'ready', pid: process.pid, readyMs: performance.now() - t0 });
}

main();
