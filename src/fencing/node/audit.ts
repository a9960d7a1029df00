/**
 * Audit the sleds' raw files (or devices) after a run, trusting no process: decode every block
 * with the cores' block format (src/fencing/block-format.ts: magic, version, SHA-256 checksum),
 * walk every record of each maxEpoch state file (length, CRC-32, JSON), and check them against
 * the client's record.
 *
 *   log-integrity     each log is a run of valid blocks, then zeros (at most one torn block,
 *                     from a crash mid-append, which the sled overwrote or left at the end)
 *   no-stale-write    no block of an extent has an epoch below one the sled had already
 *                     accepted at that point of its log: an earlier block, or a state record
 *                     (a fence) written when the log was no longer than the block's index
 *   fences-durable    every fence the client saw acknowledged by a sled is in that sled's state
 *                     file or proven by one of its blocks
 *   acked-on-quorum   for every extent, the latest acknowledged write is held (same version or
 *                     newer, and the same value at the same seq) by at least W sleds
 *   one-writer-per-epoch  no two heads got acknowledgements under the same (extent, epoch)
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { BLOCK_BYTES, decodeLogBlock, sledStateSchema, type LogEntry } from './block-log.ts';
import type { ClientRecord, SledFile } from './launch.ts';

export type AuditCheck = { name: string; ok: boolean; detail: string };
export type AuditReport = { ok: boolean; checks: AuditCheck[]; blocksRead: number;
  logs: Record<string, { entries: number; tornBlocks: number; stateRecords: number }> };

/** One fence as the state file has it: extent -> maxEpoch, from log index `logBlocks` on. */
export type StateRecord = { maxEpoch: Map<number, number>; logBlocks: number };
export type SledLog = { sled: string; entries: LogEntry[]; tornBlocks: number;
  trailingGarbage: number; states: StateRecord[] };

/** Read a whole data log from a file or device, read-only. */
function readBlocks(log: SledLog, dataPath: string, maxBlocks: number): void {
  const fd = fs.openSync(dataPath, 'r');
  try {
    const block = Buffer.alloc(BLOCK_BYTES);
    let ended = false;
    for (let index = 0; index < maxBlocks; index++) {
      const bytes = fs.readSync(fd, block, 0, BLOCK_BYTES, index * BLOCK_BYTES);
      if (bytes === 0) break;
      if (bytes < BLOCK_BYTES) block.fill(0, bytes);
      const decoded = decodeLogBlock(block);
      const entry = decoded.ok ? decoded.value : undefined;
      if (entry === null) ended = true;
      else if (entry !== undefined && !ended) log.entries.push(entry);
      else if (entry !== undefined || ended) log.trailingGarbage += 1;
      else {
        log.tornBlocks += 1;
        ended = true;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Every valid record of a DurableState log (`[u32 bytes][u32 crc32][JSON]`), in order. */
function readStateRecords(statePath: string): StateRecord[] {
  if (!fs.existsSync(statePath)) return [];
  const image = fs.readFileSync(statePath);
  const records: StateRecord[] = [];
  for (let offset = 0; offset + 8 <= image.length;) {
    const length = image.readUInt32BE(offset);
    const end = offset + 8 + length;
    if (end > image.length) break;
    const payload = image.subarray(offset + 8, end);
    if (zlib.crc32(payload) !== image.readUInt32BE(offset + 4)) break;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      break;
    }
    const parsed = sledStateSchema.safeParse(json);
    if (!parsed.success) break;
    const maxEpoch = new Map<number, number>();
    for (const [key, epoch] of Object.entries(parsed.data.maxEpoch)) {
      const m = /\/(\d+)$/.exec(key);
      if (m !== null) maxEpoch.set(Number(m[1]), epoch);
    }
    records.push({ maxEpoch, logBlocks: parsed.data.logBlocks });
    offset = end;
  }
  return records;
}

export function readSledLog(file: SledFile, maxBlocks = 1 << 20): SledLog {
  const log: SledLog = { sled: file.sled, entries: [], tornBlocks: 0, trailingGarbage: 0,
    states: readStateRecords(file.statePath) };
  readBlocks(log, file.dataPath, maxBlocks);
  return log;
}

function staleWrites(log: SledLog): string[] {
  const accepted = new Map<number, number>();
  const raise = (extent: number, epoch: number) => {
    if (epoch > (accepted.get(extent) ?? 0)) accepted.set(extent, epoch);
  };
  const states = [...log.states].sort((a, b) => a.logBlocks - b.logBlocks);
  let next = 0;
  const problems: string[] = [];
  for (const [index, { extent, block }] of log.entries.entries()) {
    for (; next < states.length && states[next]!.logBlocks <= index; next++) {
      for (const [e, epoch] of states[next]!.maxEpoch) raise(e, epoch);
    }
    const max = accepted.get(extent) ?? 0;
    if (block.epoch < max) {
      problems.push(`${log.sled} block ${index}: extent ${extent} epoch ${block.epoch} < ${max}`);
    }
    raise(extent, block.epoch);
  }
  return problems;
}

function missingFences(logs: SledLog[], record: ClientRecord): string[] {
  const problems: string[] = [];
  for (const fence of record.fences) {
    for (const sled of fence.sleds) {
      const log = logs.find((l) => l.sled === sled);
      const held = log !== undefined && (
        log.states.some((s) => (s.maxEpoch.get(fence.extent) ?? 0) >= fence.epoch)
        || log.entries.some((e) => e.extent === fence.extent && e.block.epoch >= fence.epoch));
      if (!held) problems.push(`${sled} lacks fence ${fence.extent}@${fence.epoch}`);
    }
  }
  return problems;
}

function ackedShortfalls(logs: SledLog[], record: ClientRecord, writeQuorum: number): string[] {
  const latest = new Map<number, ClientRecord['acks'][number]>();
  for (const a of record.acks) {
    const b = latest.get(a.extent);
    if (b === undefined || a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq)) {
      latest.set(a.extent, a);
    }
  }
  const problems: string[] = [];
  for (const [extent, ack] of latest) {
    const holders = logs.filter((log) => {
      const top = log.entries.filter((e) => e.extent === extent).at(-1)?.block;
      if (top === undefined || top.epoch < ack.epoch || top.seq < ack.seq) return false;
      return top.seq !== ack.seq || top.val === ack.val;
    });
    if (holders.length < writeQuorum) {
      problems.push(`extent ${extent}: seq ${ack.seq} "${ack.val}" on ${holders.length} sleds`);
    }
  }
  return problems;
}

function sharedEpochs(record: ClientRecord): string[] {
  const holder = new Map<string, string>();
  const problems: string[] = [];
  for (const a of record.acks) {
    const key = `${a.extent}@${a.epoch}`;
    const seen = holder.get(key);
    if (seen !== undefined && seen !== a.head) problems.push(`${key}: ${seen} and ${a.head}`);
    holder.set(key, a.head);
  }
  return problems;
}

/** `maxBlocks`: read at most this many blocks of each log (a large device's used region). */
export function auditSledLogs(files: SledFile[], record: ClientRecord,
  writeQuorum: number, maxBlocks?: number): AuditReport {
  const logs = files.map((f) => readSledLog(f, maxBlocks));
  const check = (name: string, problems: string[], okDetail: string): AuditCheck => ({
    name, ok: problems.length === 0,
    detail: problems.length === 0 ? okDetail : problems.slice(0, 5).join('; '),
  });
  const integrity = logs.flatMap((l) => (l.tornBlocks > 1 || l.trailingGarbage > 0
    ? [`${l.sled}: ${l.tornBlocks} torn, ${l.trailingGarbage} after the end`] : []));
  const checks = [
    check('log-integrity', integrity, `${logs.length} logs decode cleanly`),
    check('no-stale-write', logs.flatMap(staleWrites), 'epochs never go back after a fence'),
    check('fences-durable', missingFences(logs, record), `${record.fences.length} fences found`),
    check('acked-on-quorum', ackedShortfalls(logs, record, writeQuorum),
      `latest acks held by >= ${writeQuorum} sleds`),
    check('one-writer-per-epoch', sharedEpochs(record), 'one holder per (extent, epoch)'),
  ];
  const blocksRead = logs.reduce((n, l) => n + l.entries.length + l.tornBlocks, 0);
  const summary = Object.fromEntries(logs.map((l) => [l.sled, { entries: l.entries.length,
    tornBlocks: l.tornBlocks, stateRecords: l.states.length }]));
  return { ok: checks.every((c) => c.ok), checks, blocksRead, logs: summary };
}
