/**
 * The guest side of a QEMU instance, as pure functions: the busybox `sh` commands the backend
 * sends through the agent, and the parsers of their output. Nothing here does I/O, so all of it
 * is unit-tested without a VM.
 *
 * Instance state lives in the guest's RAM (tmpfs /tmp/pl), so a snapshot holds it and a restore
 * brings it back: the ready-state table (what a cold start builds), garbage files the
 * executions leave, the execution counter, the workload RNG (seed + counter), the generation.
 * The preserved state lives on the `state` virtio disk (/dev/vda), outside the snapshot, read
 * and written with O_DIRECT so the guest page cache (restored from S) is never trusted.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { err, ok, type Result } from '../../run.ts';
import {
  preservedStateSchema, type PreservedState, type ReadySpec,
} from '../../../src/snapshot/backend/index.ts';

export const GUEST_DIR = '/tmp/pl';
export const STATE_DEVICE = '/dev/vda';
/** The host as the guest sees it on QEMU's user network. */
export const HOST_FROM_GUEST = '10.0.2.2';
export const DISK_BLOCK_BYTES = 4096;
/** Preserved state on disk at most (header + JSON), bytes. */
export const PRESERVED_BYTES_MAX = 64 * 1024;
const PRESERVED_MAGIC = 'PLPRES1 ';
const HEADER_BYTES = PRESERVED_MAGIC.length + 10 + 1;
const RANDOM_BYTES_MAX = 256;

export type GuestError = { code: 'protocol'; message: string };
const bad = (message: string): Result<never, GuestError> => err({ code: 'protocol', message });

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const safeWord = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** A file name for an execution or connection id (ids are free text; names are not). */
export function fileName(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 24);
}

export type Identity = { instanceId: string; slot: string; generation: number; entropyHex: string };

function identityLines(identity: Identity, origin: 'cold' | 'restore'): string[] {
  safeWord.parse(identity.instanceId);
  safeWord.parse(identity.slot);
  z.number().int().nonnegative().parse(identity.generation);
  return [
    `printf '%s' ${identity.entropyHex} > /dev/urandom`,
    `echo ${identity.generation} > $P/gen; echo ${origin} > $P/origin`,
    `echo ${identity.instanceId} > $P/iid; echo ${identity.slot} > $P/slot`,
  ];
}

/** Cold start: build the ready-state table (the initialisation work) and seed the RNG. */
export function initCommand(ready: ReadySpec, identity: Identity): string {
  hex64.parse(identity.entropyHex);
  const awk = `awk -v n=${ready.tableEntries} -v r=${ready.hashRounds} 'BEGIN{h=7; `
    + 'for(i=0;i<n;i++){for(j=0;j<r;j++){h=(h*31+i+j)%1000000007}; print i, h}}\'';
  return [
    `set -e; P=${GUEST_DIR}; rm -rf $P`,
    'mkdir -p $P/garbage $P/running $P/conn',
    `${awk} > $P/table`,
    'echo 0 > $P/ctr; echo 0 > $P/execs',
    `printf '%s' ${identity.entropyHex} | sha256sum | cut -c1-64 > $P/seed`,
    ...identityLines(identity, 'cold'),
  ].join('\n');
}

/**
 * Right after a restore, before anything else runs: the new generation, and fresh entropy
 * mixed into the kernel pool and into the workload RNG's seed (seed' = H(seed:entropy:gen)).
 */
export function identityCommand(identity: Identity): string {
  hex64.parse(identity.entropyHex);
  return [
    `set -e; P=${GUEST_DIR}; s=$(cat $P/seed)`,
    `printf '%s:%s:%s' "$s" ${identity.entropyHex} ${identity.generation} | sha256sum`
      + ' | cut -c1-64 > $P/seed',
    ...identityLines(identity, 'restore'),
  ].join('\n');
}

/** `bytes` from the workload RNG: sha256(seed:gen:counter) blocks; prints `random=<hex>`. */
export function randomCommand(bytes: number): string {
  z.number().int().min(1).max(RANDOM_BYTES_MAX).parse(bytes);
  const blocks = Math.ceil(bytes / 32);
  return [
    `P=${GUEST_DIR}; c=$(cat $P/ctr); s=$(cat $P/seed); g=$(cat $P/gen); out=''`,
    `for k in $(seq 1 ${blocks}); do c=$((c+1))`,
    `out=$out$(printf '%s:%s:%s' "$s" "$g" "$c" | sha256sum | cut -c1-64); done`,
    `echo $c > $P/ctr; echo random=$(echo $out | cut -c1-${bytes * 2})`,
  ].join('\n');
}

const garbageSum = 'g=0; for f in $P/garbage/*; do [ -f "$f" ] && '
  + 'g=$((g+$(stat -c %s "$f"))); done; echo garbage=$g';

export function garbageCommand(): string {
  return `P=${GUEST_DIR}; ${garbageSum}`;
}

/** Everything `info` reports; `state` digests every non-preserved component. */
export function infoCommand(): string {
  const listing = '{ sha256sum < $P/table; cd $P/garbage && for f in *; do [ -f "$f" ] && '
    + 'echo "$f $(stat -c %s "$f")"; done; cat $P/execs; ls $P/running; ls $P/conn; }';
  return [
    `P=${GUEST_DIR}`,
    'echo iid=$(cat $P/iid); echo slot=$(cat $P/slot); echo gen=$(cat $P/gen)',
    'echo execs=$(cat $P/execs); echo origin=$(cat $P/origin)',
    'echo running=$(ls $P/running | wc -l)',
    garbageSum,
    'echo ready=$(sha256sum < $P/table | cut -c1-64)',
    `echo state=$(${listing} | sha256sum | cut -c1-64)`,
  ].join('\n');
}

/** An execution begins: a running marker, then its garbage in RAM (tmpfs). */
export function executeStartCommand(executionId: string, garbageBytes: number): string {
  z.number().int().nonnegative().parse(garbageBytes);
  const name = fileName(executionId);
  const grow = garbageBytes > 0 ? `; head -c ${garbageBytes} /dev/zero >> $P/garbage/${name}` : '';
  return `set -e; P=${GUEST_DIR}; touch $P/running/${name}${grow}`;
}

/** An execution ends: marker removed, counter up, a nonce drawn; prints gen/garbage/random. */
export function executeEndCommand(executionId: string): string {
  const name = fileName(executionId);
  return [
    `set -e; P=${GUEST_DIR}; rm -f $P/running/${name}`,
    'c=$(cat $P/execs); echo $((c+1)) > $P/execs; echo gen=$(cat $P/gen)',
    garbageSum,
    randomCommand(16),
  ].join('\n');
}

/** The running markers (executions the guest has started and not finished). */
export function runningCommand(): string {
  return `P=${GUEST_DIR}; for f in $P/running/*; do [ -f "$f" ] && `
    + 'echo "running=${f##*/}"; done; true';
}

/** Key=value lines of an answer, validated by `schema`. */
export function parseKeyValues<T extends z.ZodType>(output: string,
  schema: T): Result<z.output<T>, GuestError> {
  const record: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) record[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  const parsed = schema.safeParse(record);
  if (!parsed.success) return bad(`guest answer fails its schema: ${output.slice(0, 200)}`);
  return ok(parsed.data);
}

const count = z.coerce.number().int().nonnegative();
export const infoAnswerSchema = z.object({
  iid: z.string().min(1), slot: z.string().min(1), gen: count, execs: count,
  origin: z.enum(['cold', 'restore']), running: count, garbage: count, ready: hex64, state: hex64,
});
export const garbageAnswerSchema = z.object({ garbage: count });
export const randomAnswerSchema = z.object({ random: z.string().regex(/^[0-9a-f]{2,512}$/) });
export const executeEndAnswerSchema = z.object({
  gen: count, garbage: count, random: z.string().regex(/^[0-9a-f]{32}$/),
});

// ---------------------------------------------------------------------------------------------
// The preserved state on the `state` disk: "PLPRES1 " + length (10 columns) + "\n" + JSON,
// zero-padded to whole 4 KiB blocks (O_DIRECT needs aligned sizes).

export function encodePreserved(state: PreservedState): Result<Buffer, GuestError> {
  const checked = preservedStateSchema.safeParse(state);
  if (!checked.success) return bad('preserved state fails its schema');
  const json = Buffer.from(JSON.stringify(checked.data), 'utf8');
  const header = `${PRESERVED_MAGIC}${String(json.length).padStart(10, ' ')}\n`;
  const used = HEADER_BYTES + json.length;
  if (used > PRESERVED_BYTES_MAX) return bad(`preserved state is ${used} bytes (max 64 KiB)`);
  const out = Buffer.alloc(Math.ceil(used / DISK_BLOCK_BYTES) * DISK_BLOCK_BYTES);
  out.write(header, 0, 'latin1');
  json.copy(out, HEADER_BYTES);
  return ok(out);
}

/** A disk that never held a preserved state (all zeros) decodes as the empty state. */
export function decodePreserved(bytes: Buffer): Result<PreservedState, GuestError> {
  if (bytes.length === 0 || bytes.subarray(0, PRESERVED_MAGIC.length).every((b) => b === 0)) {
    return ok({ version: 0, entries: {} });
  }
  if (bytes.subarray(0, PRESERVED_MAGIC.length).toString('latin1') !== PRESERVED_MAGIC) {
    return bad('preserved state: bad magic');
  }
  const length = Number(bytes.subarray(PRESERVED_MAGIC.length, HEADER_BYTES - 1).toString().trim());
  if (!Number.isInteger(length) || length < 0 || HEADER_BYTES + length > bytes.length) {
    return bad('preserved state: bad length');
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length).toString('utf8'));
  } catch {
    return bad('preserved state: not JSON');
  }
  const parsed = preservedStateSchema.safeParse(json);
  return parsed.success ? ok(parsed.data) : bad('preserved state fails its schema');
}

/** Read the preserved area with O_DIRECT; prints the used bytes as base64 (nothing if empty). */
export function readPreservedCommand(): string {
  const blocks = PRESERVED_BYTES_MAX / DISK_BLOCK_BYTES;
  const f = `${GUEST_DIR}/pres.in`;
  return [
    `set -e; dd if=${STATE_DEVICE} of=${f} bs=${DISK_BLOCK_BYTES} count=${blocks} iflag=direct`
      + ' 2>/dev/null',
    `if [ "$(head -c ${PRESERVED_MAGIC.length - 1} ${f})" = "${PRESERVED_MAGIC.trim()}" ]; then`,
    `  n=$(head -c ${HEADER_BYTES - 1} ${f} | tail -c 10 | tr -d ' ')`,
    `  head -c $((${HEADER_BYTES} + n)) ${f} | base64 -w 0`,
    'fi',
  ].join('\n');
}

/** Write an encoded preserved state with O_DIRECT and fsync. */
export function writePreservedCommand(encoded: Buffer): string {
  if (encoded.length % DISK_BLOCK_BYTES !== 0) throw new Error('assertion: whole blocks only');
  const f = `${GUEST_DIR}/pres.out`;
  return [
    `set -e; echo ${encoded.toString('base64')} | base64 -d > ${f}`,
    `dd if=${f} of=${STATE_DEVICE} bs=${DISK_BLOCK_BYTES} oflag=direct conv=fsync 2>/dev/null`,
  ].join('\n');
}

/** The guest's read answer back to bytes (the header + JSON, unpadded). */
export function preservedFromAnswer(output: string): Result<PreservedState, GuestError> {
  const text = output.trim();
  if (text.length === 0) return ok({ version: 0, entries: {} });
  if (!/^[A-Za-z0-9+/=]+$/.test(text)) return bad('preserved read: not base64');
  return decodePreserved(Buffer.from(text, 'base64'));
}

// ---------------------------------------------------------------------------------------------
// Connections: a busybox `nc` from the guest to the host-side peer, in its own session so the
// instance end can be killed as a group; its state is read from /proc/net/tcp.

/** Start the connection; prints `pid=<session leader>`. */
export function openConnectionCommand(connectionId: string, hello: string, port: number): string {
  z.number().int().min(1).max(65535).parse(port);
  const name = fileName(connectionId);
  const helloB64 = Buffer.from(`${hello}\n`, 'utf8').toString('base64');
  const inner = `(echo ${helloB64} | base64 -d; exec sleep 2147483647) | exec nc `
    + `${HOST_FROM_GUEST} ${port}`;
  return [
    `P=${GUEST_DIR}; setsid sh -c '${inner}' > /dev/null 2>&1 &`,
    `echo $! > $P/conn/${name}.pid; echo pid=$!`,
  ].join('\n');
}

export function recordPortCommand(connectionId: string, localPort: number): string {
  z.number().int().min(1).max(65535).parse(localPort);
  return `echo ${localPort} > ${GUEST_DIR}/conn/${fileName(connectionId)}.port`;
}

/** The guest's TCP table and its connection records (`conn <name> <port> <alive|dead>`). */
export function connectionsCommand(): string {
  return [
    `P=${GUEST_DIR}; cat /proc/net/tcp`,
    'for f in $P/conn/*.port; do [ -f "$f" ] || continue; n=${f##*/}; n=${n%.port}',
    '  p=$(cat $P/conn/$n.pid); a=dead; kill -0 $p 2>/dev/null && a=alive',
    '  echo "conn $n $(cat $f) $a"; done; true',
  ].join('\n');
}

/** Kill every connection's session (the instance end), then print the TCP table. */
export function closeInstanceEndCommand(): string {
  return [
    `P=${GUEST_DIR}; for f in $P/conn/*.pid; do [ -f "$f" ] || continue`,
    '  p=$(cat $f); kill -TERM -$p 2>/dev/null; kill -TERM $p 2>/dev/null; done',
    'sleep 0.2; cat /proc/net/tcp; true',
  ].join('\n');
}

export const TCP_STATES = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2', '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK',
  '0A': 'LISTEN', '0B': 'CLOSING',
} as const;
export type TcpState = (typeof TCP_STATES)[keyof typeof TCP_STATES];
export type TcpSocket = { localPort: number; remoteIp: string; remotePort: number;
  state: TcpState };

function ipv4(hexLittleEndian: string): string {
  const n = Number.parseInt(hexLittleEndian, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

/** Parse /proc/net/tcp rows (IPv4); other lines are ignored. */
export function parseProcNetTcp(text: string): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  const row =
    /^\s*\d+:\s+([0-9A-F]{8}):([0-9A-F]{4})\s+([0-9A-F]{8}):([0-9A-F]{4})\s+([0-9A-F]{2})/;
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (m === null) continue;
    const state = TCP_STATES[m[5] as keyof typeof TCP_STATES];
    if (state === undefined) continue;
    sockets.push({ localPort: Number.parseInt(m[2] ?? '0', 16), remoteIp: ipv4(m[3] ?? '0'),
      remotePort: Number.parseInt(m[4] ?? '0', 16), state });
  }
  return sockets;
}

export type GuestConnection = { name: string; localPort: number; alive: boolean };

export function parseConnectionRecords(text: string): GuestConnection[] {
  const records: GuestConnection[] = [];
  for (const line of text.split('\n')) {
    const m = /^conn ([0-9a-f]{24}) (\d+) (alive|dead)$/.exec(line.trim());
    if (m === null) continue;
    records.push({ name: m[1] ?? '', localPort: Number(m[2]), alive: m[3] === 'alive' });
  }
  return records;
}

/**
 * The instance's view of one connection from its socket: ESTABLISHED is open; CLOSE_WAIT is
 * half-open (the peer closed, the instance still holds its end); anything else is closed.
 */
export function instanceEndState(socket: TcpSocket | undefined): 'open' | 'closed' | 'half-open' {
  if (socket === undefined) return 'closed';
  if (socket.state === 'ESTABLISHED' || socket.state === 'SYN_SENT') return 'open';
  if (socket.state === 'CLOSE_WAIT') return 'half-open';
  return 'closed';
}

/** The guest socket to the peer with this local port (the live one if the port was reused). */
export function socketFor(sockets: readonly TcpSocket[], localPort: number,
  peerPort: number): TcpSocket | undefined {
  const mine = sockets.filter((s) => s.localPort === localPort && s.remotePort === peerPort
    && s.remoteIp === HOST_FROM_GUEST);
  return mine.find((s) => s.state !== 'TIME_WAIT') ?? mine[0];
}
