/**
 * Bugs of the snapshot-GC sheet (spec/snapshot-gc/bugs/manifest.json) the scenario can inject:
 * each replaces one step of the GC manager core through the `steps` record GcHost takes (the
 * same composition src tests use). src/ itself takes no bug flag.
 */
import { defaultGcSteps, type GcSteps } from '../../../src/snapshot/index.ts';
import type { InjectableBug } from '../types.ts';

type Bug = InjectableBug & { steps: GcSteps };

const BUG_LIST: readonly Bug[] = [
  {
    name: 'RestoreWithoutNewIdentity',
    property: 'UniqueAfterRestore',
    description: 'gc-manager identity step keeps the current generation and entropy on restore',
    steps: { ...defaultGcSteps,
      identity: (s) => ({ generation: s.generation, entropy: s.entropy }) },
  },
  {
    name: 'RestoreWithoutTerminate',
    property: 'NoHalfOpenConnection',
    description: 'gc-manager terminateEnds step closes no end before the restore',
    steps: { ...defaultGcSteps, terminateEnds: () => [] },
  },
  {
    name: 'RestoreWithoutDrain',
    property: 'NoRestoreDuringExecution',
    description: 'gc-manager drained step answers true while executions still run',
    steps: { ...defaultGcSteps, drained: () => true },
  },
  {
    name: 'SaveBeforeDrain',
    property: 'PreservedStateIntact',
    description: 'gc-manager canSave step saves the preserved state before the drain ends',
    steps: { ...defaultGcSteps,
      canSave: (s) => s.phase === 'draining' && s.awaiting === null },
  },
];

export const BUGS: readonly InjectableBug[] = BUG_LIST.map(({ name, property, description }) =>
  ({ name, property, description }));

/** The core steps for a run: the defaults, or those of the injected bug (null: unknown bug). */
export function stepsFor(inject: string | undefined): GcSteps | null {
  if (inject === undefined) return defaultGcSteps;
  return BUG_LIST.find((bug) => bug.name === inject)?.steps ?? null;
}
