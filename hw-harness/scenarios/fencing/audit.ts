/**
 * The raw-device audit: with every sled stopped, read each device's block log and state file
 * (src/fencing/node/audit.ts decodes them with the cores' block format, trusting no process)
 * and check the spec's properties against the client's record. Check names carry the spec's
 * property names where there is one.
 */
import {
  auditSledLogs,
  readSledLog,
  type AuditCheck,
  type ClientRecord,
  type SledFile,
} from '../../../src/fencing/node/index.ts';
import type { ScenarioRecorder } from '../recorder.ts';

const PROPERTY_OF: Record<string, string> = {
  'no-stale-write': 'NoStaleWrite: no device holds a block below an epoch its sled had accepted',
  'acked-on-quorum': 'AckedWritesSurvive: every latest acknowledged write is on >= W devices',
  'one-writer-per-epoch': 'OneWriterPerEpoch: one head acknowledged per (extent, epoch)',
  'fences-durable': 'FencesDurable: every acknowledged fence is in its sled\'s state or blocks',
  'log-integrity': 'LogIntegrity: every device log decodes (checksums), at most one torn block',
};

export type AuditInput = {
  files: SledFile[];
  record: ClientRecord;
  writeQuorum: number;
  maxBlocks: number;
  /** Values whose write was refused (stale credentials): no device may hold them. */
  refusedValues: string[];
};

/** Run the audit and record its checks; returns the number of blocks read. */
export function auditDevices(rec: ScenarioRecorder, input: AuditInput): number {
  const report = auditSledLogs(input.files, input.record, input.writeQuorum, input.maxBlocks);
  for (const check of report.checks) record(rec, check);
  const logs = input.files.map((f) => readSledLog(f, input.maxBlocks));
  const leaked = logs.flatMap((log) => log.entries
    .filter((e) => e.block.val !== null && input.refusedValues.includes(e.block.val))
    .map((e) => `${log.sled}: "${e.block.val}" epoch ${e.block.epoch}`));
  rec.check('NoStaleWrite: no refused (stale-credential) write reached a device',
    leaked.length === 0, leaked.length === 0
      ? `none of ${input.refusedValues.length} refused values on ${logs.length} devices`
      : leaked.slice(0, 5).join('; '));
  const regress = logs.flatMap((log) => blockEpochRegressions(log.sled, log.entries));
  const grants = grantRegressions(input.record);
  rec.check('EpochsMonotonic: granted epochs grow per extent; block epochs never fall per log',
    regress.length === 0 && grants.length === 0,
    [...grants, ...regress].slice(0, 5).join('; ')
      || `${input.record.fences.length} grants; ${report.blocksRead} blocks in order`);
  rec.figure('blocksAudited', report.blocksRead);
  return report.blocksRead;
}

function record(rec: ScenarioRecorder, check: AuditCheck): void {
  rec.check(PROPERTY_OF[check.name] ?? check.name, check.ok, check.detail);
}

function blockEpochRegressions(sled: string,
  entries: { extent: number; block: { epoch: number } }[]): string[] {
  const last = new Map<number, number>();
  const problems: string[] = [];
  for (const [index, { extent, block }] of entries.entries()) {
    const before = last.get(extent) ?? 0;
    if (block.epoch < before) {
      problems.push(`${sled} block ${index}: extent ${extent} epoch ${block.epoch} < ${before}`);
    }
    last.set(extent, Math.max(before, block.epoch));
  }
  return problems;
}

/** The fences in the order the client saw them: each extent's epochs strictly increase. */
function grantRegressions(record: ClientRecord): string[] {
  const last = new Map<number, number>();
  const problems: string[] = [];
  for (const fence of record.fences) {
    const before = last.get(fence.extent) ?? 0;
    if (fence.epoch <= before) {
      problems.push(`extent ${fence.extent}: ${fence.head} granted ${fence.epoch} <= ${before}`);
    }
    last.set(fence.extent, fence.epoch);
  }
  return problems;
}
