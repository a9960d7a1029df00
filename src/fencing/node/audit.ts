/**
 * Audit the sleds' raw files (or devices) after a run, trusting no process: read every block,
 * decode and checksum its header, and check the logs against the client's record.
 *
 *   log-integrity     each log is a run of valid blocks, then zeros (at most one torn block,
 *                     from a crash mid-append, which the sled overwrote or left at the end)
 *   no-stale-write    in each sled's log, no data block of an extent has an epoch below one the
 *                     sled had already accepted (a fence marker or a data block earlier in the
 *                     log): nothing of a fenced epoch was written after the fence
 *   fences-durable    every fence the client saw acknowledged by a sled is in that sled's log
 *   acked-on-quorum   for every extent, the latest acknowledged write is held (same version or
 *                     newer, and the same value at the same seq) by at least W sleds
 *   one-writer-per-epoch  no two heads got acknowledgements under the same (extent, epoch)
 */
import fs from 'node:fs';
import { decodeLogBlock, BLOCK_BYTES, type LogEntry } from './block-log.ts';
import type { ClientRecord, SledFile } from './launch.ts';

export type AuditCheck = { name: string; ok: boolean; detail: string };
export type AuditReport = { ok: boolean; checks: AuditCheck[]; blocksRead: number;
  logs: Record<string, { entries: number; tornBlocks: number }> };

type SledLog = { sled: string; entries: LogEntry[]; tornBlocks: number; trailingGarbage: number };

/** Read a whole log from a file or device, read-only. */
export function readSledLog(file: SledFile, maxBlocks = 1 << 20): SledLog {
  const fd = fs.openSync(file.dataPath, 'r');
  const log: SledLog = { sled: file.sled, entries: [], tornBlocks: 0, trailingGarbage: 0 };
  try {
    const block = Buffer.alloc(BLOCK_BYTES);
    let ended = false;
    for (let index = 0; index < maxBlocks; index++) {
      const bytes = fs.readSync(fd, block, 0, BLOCK_BYTES, index * BLOCK_BYTES);
      if (bytes === 0) break;
      if (bytes < BLOCK_BYTES) block.fill(0, bytes);
      const decoded = decodeLogBlock(block);
      if (decoded.ok && !ended) log.entries.push(decoded.value);
      else if (decoded.ok) log.trailingGarbage += 1;
      else if (decoded.error.code !== 'empty') {
        if (ended) log.trailingGarbage += 1;
        else log.tornBlocks += 1;
        ended = true;
      } else ended = true;
    }
  } finally {
    fs.closeSync(fd);
  }
  return log;
}

function staleWrites(log: SledLog): string[] {
  const accepted = new Map<number, number>();
  const problems: string[] = [];
  for (const [index, e] of log.entries.entries()) {
    const max = accepted.get(e.extent) ?? 0;
    if (e.kind === 'data' && e.epoch < max) {
      problems.push(`${log.sled} block ${index}: extent ${e.extent} epoch ${e.epoch} < ${max}`);
    }
    if (e.epoch > max) accepted.set(e.extent, e.epoch);
  }
  return problems;
}

function missingFences(logs: SledLog[], record: ClientRecord): string[] {
  const problems: string[] = [];
  for (const fence of record.fences) {
    for (const sled of fence.sleds) {
      const log = logs.find((l) => l.sled === sled);
      const held = log?.entries.some((e) => e.extent === fence.extent && e.epoch >= fence.epoch);
      if (held !== true) problems.push(`${sled} lacks fence ${fence.extent}@${fence.epoch}`);
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
      const data = log.entries.filter((e) => e.kind === 'data' && e.extent === extent);
      const top = data[data.length - 1];
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

export function auditSledLogs(files: SledFile[], record: ClientRecord,
  writeQuorum: number): AuditReport {
  const logs = files.map((f) => readSledLog(f));
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
    tornBlocks: l.tornBlocks }]));
  return { ok: checks.every((c) => c.ok), checks, blocksRead, logs: summary };
}
