/**
 * The preserved store of a slot: a host-side file outside the instance's image, so a restore
 * does not roll it back (in QEMU: a separate virtio disk). Written by atomic replace with fsync.
 */
import fs from 'node:fs';
import {
  atomicReplaceFile,
  describeError,
  err,
  ok,
  type DurableError,
  type Result,
} from '../../runtime/node/index.ts';
import { preservedStateSchema, type PreservedState } from './types.ts';

export const EMPTY_PRESERVED: PreservedState = { version: 0, entries: {} };

export function readPreservedFile(filePath: string): Result<PreservedState, DurableError> {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return ok(EMPTY_PRESERVED);
    return err({ code: 'io-failed', message: describeError(thrown) });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err({ code: 'schema-invalid', message: `${filePath}: not JSON` });
  }
  const parsed = preservedStateSchema.safeParse(json);
  if (!parsed.success) {
    return err({ code: 'schema-invalid', message: `${filePath}: fails its schema` });
  }
  return ok(parsed.data);
}

export function writePreservedFile(filePath: string,
  state: PreservedState): Result<void, DurableError> {
  const checked = preservedStateSchema.safeParse(state);
  if (!checked.success) return err({ code: 'schema-invalid', message: 'bad preserved state' });
  return atomicReplaceFile(filePath, Buffer.from(JSON.stringify(checked.data), 'utf8'));
}
