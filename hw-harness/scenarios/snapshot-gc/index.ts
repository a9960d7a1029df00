/**
 * The snapshot-gc harness scenario (GcHost over QEMU instances) and the QEMU backend of
 * snapshot-GC's instance interface.
 */
import type { Scenario } from '../types.ts';
import { BUGS } from './bugs.ts';
import { runSnapshotGc } from './scenario.ts';

export { QemuBackend, type QemuBackendOptions, type InstanceTimings } from './qemu-backend.ts';
export { ObservedBackend, type DestroyAudit, type RestoreObservation } from './observer.ts';
export { judge, type Observations, type Incarnation } from './checks.ts';
export { BUGS, stepsFor } from './bugs.ts';
export { runSnapshotGc, SLOT, READY, THRESHOLD_BYTES } from './scenario.ts';

export const scenario: Scenario = {
  name: 'snapshot-gc',
  summary: 'GC by ready-snapshot restore over QEMU guests: memory back to S, preserved disk, '
    + 'no half-open TCP, unique entropy, restore vs cold boot',
  bugs: BUGS,
  run: runSnapshotGc,
};
