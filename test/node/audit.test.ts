import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditSledLogs,
  encodeLogBlock,
  type ClientRecord,
} from '../../src/fencing/node/index.ts';
import { encodeRecord } from '../../src/runtime/node/index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-audit-'));

/** A fence goes to the sled's state file (at the log's current length), data to its log. */
type Entry = { kind: 'fence'; epoch: number } | { kind: 'data'; epoch: number; seq: number;
  val: string };

function sledFile(sled: string, entries: Entry[], tail: Buffer = Buffer.alloc(0)) {
  const base = path.join(dir, `${sled}-${Math.random().toString(16).slice(2)}`);
  const blocks: Uint8Array[] = [];
  const records: Buffer[] = [];
  const maxEpoch: Record<string, number> = {};
  for (const e of entries) {
    if (e.kind === 'data') {
      blocks.push(encodeLogBlock({ extent: 0, block: { epoch: e.epoch, seq: e.seq, val: e.val } }));
      continue;
    }
    maxEpoch['vol-1/0'] = e.epoch;
    const record = encodeRecord({ maxEpoch: { ...maxEpoch }, logBlocks: blocks.length });
    if (!record.ok) throw new Error(record.error.message);
    records.push(record.value);
  }
  fs.writeFileSync(`${base}.img`, Buffer.concat([...blocks, tail]));
  fs.writeFileSync(`${base}.state`, Buffer.concat(records));
  return { sled, dataPath: `${base}.img`, statePath: `${base}.state` };
}

const fence = (epoch: number): Entry => ({ kind: 'fence', epoch });
const data = (epoch: number, seq: number, val: string): Entry =>
  ({ kind: 'data', epoch, seq, val });
const record = (acks: ClientRecord['acks'], fences: ClientRecord['fences'] = []): ClientRecord =>
  ({ acks, fences, refusals: 0 });
const ack = (epoch: number, seq: number, val: string, head = 'head-a') =>
  ({ extent: 0, epoch, seq, val, head, sleds: [] });

function failing(report: ReturnType<typeof auditSledLogs>): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => c.name);
}

describe('audit of raw sled logs', () => {
  const good = [fence(1), data(1, 1, 'v1'), fence(2), data(2, 1, 'v1'), data(2, 2, 'v2')];

  it('passes clean logs', () => {
    const files = ['s1', 's2', 's3'].map((s) => sledFile(s, good));
    const r = auditSledLogs(files, record([ack(1, 1, 'v1'), ack(2, 2, 'v2', 'head-b')],
      [{ extent: 0, epoch: 2, head: 'head-b', sleds: ['s1', 's2'] }]), 2);
    expect(failing(r)).toEqual([]);
  });

  it('catches a block of a fenced epoch written after the fence', () => {
    const stale = [...good, data(1, 3, 'stale')];
    const files = [sledFile('s1', stale), sledFile('s2', good), sledFile('s3', good)];
    const r = auditSledLogs(files, record([ack(2, 2, 'v2')]), 2);
    expect(failing(r)).toEqual(['no-stale-write']);
    // Only the state file shows the fence: the stale block follows it in the log's order.
    const afterFence = [fence(1), data(1, 1, 'v1'), fence(2), data(1, 2, 'stale')];
    const files2 = [sledFile('s1', afterFence), sledFile('s2', good), sledFile('s3', good)];
    expect(failing(auditSledLogs(files2, record([ack(2, 2, 'v2')]), 2)))
      .toEqual(['no-stale-write']);
    const beforeFence = [fence(1), data(1, 1, 'v1'), data(1, 2, 'ok'), fence(2)];
    const files3 = [sledFile('s1', beforeFence), sledFile('s2', good), sledFile('s3', good)];
    expect(failing(auditSledLogs(files3, record([ack(2, 2, 'v2')]), 2))).toEqual([]);
  });

  it('catches an acknowledged write held by fewer than W sleds, or with another value', () => {
    const old = [fence(1), data(1, 1, 'v1')];
    const files = [sledFile('s1', good), sledFile('s2', old), sledFile('s3', old)];
    expect(failing(auditSledLogs(files, record([ack(2, 2, 'v2')]), 2)))
      .toEqual(['acked-on-quorum']);
    const swapped = [fence(1), data(1, 1, 'v1'), fence(2), data(2, 2, 'other')];
    const files2 = [sledFile('s1', good), sledFile('s2', swapped), sledFile('s3', old)];
    expect(failing(auditSledLogs(files2, record([ack(2, 2, 'v2')]), 2)))
      .toEqual(['acked-on-quorum']);
  });

  it('catches a fence the client saw acknowledged but the device lacks', () => {
    const files = ['s1', 's2', 's3'].map((s) => sledFile(s, [fence(1), data(1, 1, 'v1')]));
    const r = auditSledLogs(files, record([ack(1, 1, 'v1')],
      [{ extent: 0, epoch: 2, head: 'head-b', sleds: ['s1'] }]), 2);
    expect(failing(r)).toEqual(['fences-durable']);
  });

  it('catches two holders acknowledged under one epoch, and garbage after a torn block', () => {
    const files = ['s1', 's2', 's3'].map((s) => sledFile(s, good));
    const acks = [ack(2, 1, 'v1', 'head-a'), ack(2, 2, 'v2', 'head-b')];
    const r = auditSledLogs(files, record(acks), 2);
    expect(failing(r)).toEqual(['one-writer-per-epoch']);
    const torn = Buffer.alloc(4096, 0x5a);
    const tail = Buffer.concat([torn,
      encodeLogBlock({ extent: 0, block: { epoch: 2, seq: 3, val: 'v3' } })]);
    const files2 = [sledFile('s1', good, tail), sledFile('s2', good), sledFile('s3', good)];
    expect(failing(auditSledLogs(files2, record([ack(2, 2, 'v2')]), 2)))
      .toEqual(['log-integrity']);
  });
});
