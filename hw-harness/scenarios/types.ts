/**
 * What a harness scenario is: one per protocol, driving that protocol's own modules (the same
 * imports a service uses) against real VMs, devices, processes and networks, and auditing the
 * outcome against the invariants its spec states.
 *
 * A scenario never throws for an outside failure: it records a failed check and goes on where
 * it can (the runner also turns an escaped exception into a failed check). Everything it
 * creates is registered on `ctx.teardown`, which the runner always runs.
 */
import type { Teardown } from '../host/teardown.ts';
import type { Accel } from '../vmm/types.ts';
import type { HostsFile, ScenarioReport } from '../report.ts';

export const SCENARIO_NAMES = ['sandbox-reuse', 'snapshot-gc', 'fencing', 'consensus-txn'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** A bug of the protocol's sheet the scenario can inject into the module it drives. */
export interface InjectableBug {
  /** The sheet's bug name (the `bugs/` variant's name), e.g. `RestoreWithoutDrain`. */
  readonly name: string;
  /** The property the spec says it violates; the scenario's failing check names it. */
  readonly property: string;
  /** One line: what is replaced in which module. */
  readonly description: string;
}

export interface ScenarioContext {
  /** The accelerator the probe chose for every VM of this run. */
  readonly accel: Accel;
  /** `--long`: longer runs, more faults. The smoke (default) keeps each scenario to ~1 min. */
  readonly long: boolean;
  readonly hosts: HostsFile;
  /** `--destructive`: raw device paths (NVMe namespaces) may be written. */
  readonly destructive: boolean;
  /** `--inject BUG`: the bug to inject (one of `scenario.bugs`), else undefined. */
  readonly inject: string | undefined;
  /** A fresh directory for this scenario's files; removed by the teardown. */
  readonly workDir: string;
  /** Register every cleanup here (VMs, processes, namespaces, loop devices, files). */
  readonly teardown: Teardown;
  /** Progress for a person (stderr on a terminal; kept quiet otherwise). */
  progress(line: string): void;
}

export interface Scenario {
  readonly name: ScenarioName;
  /** One line for `plumbline harness --help` and the human summary. */
  readonly summary: string;
  readonly bugs: readonly InjectableBug[];
  run(ctx: ScenarioContext): Promise<ScenarioReport>;
}
