/**
 * A member's records on the group-commit WAL (src/runtime/node/wal.ts): JSON, one record per
 * frame, validated when read back. Also an in-memory log for in-process counting runs.
 */
import { openWal, type Wal } from '../../runtime/node/wal.ts';
import { err, ok, type Result } from '../../runtime/node/result.ts';
import { MemberWalRecordSchema, type MemberWalRecord } from './wire.ts';
import type { DurableLog, LogError } from './member.ts';

export interface OpenedMemberWal {
  readonly log: DurableLog & { close(): Promise<void>; readonly wal: Wal };
  readonly records: MemberWalRecord[];
}

/** Opens (or creates) the WAL in `dir` and reads back every record. */
export async function openMemberWal(dir: string): Promise<Result<OpenedMemberWal, LogError>> {
  const opened = await openWal(dir);
  if (!opened.ok) return err(opened.error);
  const wal = opened.value;
  const raw = await wal.replay();
  if (!raw.ok) return err(raw.error);
  const records = decodeRecords(raw.value);
  if (!records.ok) return records;
  const log = {
    wal,
    append: async (r: MemberWalRecord): Promise<Result<void, LogError>> =>
      wal.append(Buffer.from(JSON.stringify(r), 'utf8')),
    close: async (): Promise<void> => {
      await wal.close();
    },
  };
  return ok({ log, records: records.value });
}

export function decodeRecords(raw: readonly Buffer[]): Result<MemberWalRecord[], LogError> {
  const out: MemberWalRecord[] = [];
  for (const [i, b] of raw.entries()) {
    let json: unknown;
    try {
      json = JSON.parse(b.toString('utf8'));
    } catch {
      return err({ code: 'corrupt', message: `record ${i} is not JSON` });
    }
    const r = MemberWalRecordSchema.safeParse(json);
    if (!r.success) {
      return err({ code: 'corrupt', message: `record ${i}: ${r.error.issues[0]?.message}` });
    }
    out.push(r.data);
  }
  return ok(out);
}

/** A log kept in memory (no durability): for message counting in one process. */
export class MemoryLog implements DurableLog {
  readonly records: MemberWalRecord[] = [];
  async append(r: MemberWalRecord): Promise<Result<void, LogError>> {
    this.records.push(r);
    return ok(undefined);
  }
}
