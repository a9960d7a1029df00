/**
 * The harness's documents, as zod schemas (types inferred from them):
 * - the scenario report (`plumbline harness --json`, DESIGN.md's CLI contract);
 * - the hosts file (`--hosts FILE`): what a machine offers to the scenarios;
 * - the probe report (`--probe`): what this machine was found to offer.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { err, harnessError, ok, type HarnessError, type Result } from './run.ts';

export const accelFieldSchema = z.enum(['kvm', 'tcg']).nullable();

export const checkSchema = z.object({
  name: z.string().min(1),
  ok: z.boolean(),
  detail: z.string(),
});
export type Check = z.infer<typeof checkSchema>;

export const scenarioReportSchema = z.object({
  name: z.string().min(1),
  ok: z.boolean(),
  checks: z.array(checkSchema),
  /** Measured numbers; the name carries the unit (bootMs, snapshotBytes). */
  figures: z.record(z.string(), z.number()),
  /** What ran for real (e.g. "qemu-tcg vm", "loop device", "netns"). */
  real: z.array(z.string()),
  /** What was emulated or simulated instead of the real thing, and why. */
  emulated: z.array(z.string()),
});
export type ScenarioReport = z.infer<typeof scenarioReportSchema>;

export const harnessErrorDocSchema = z.object({ code: z.string(), message: z.string() });

export const harnessReportSchema = z
  .object({
    ok: z.boolean(),
    accel: accelFieldSchema,
    scenarios: z.array(scenarioReportSchema),
    /** `--long` runs. */
    long: z.boolean().optional(),
    /** The bug injected with `--inject` (the run is then expected to fail). */
    inject: z.object({ scenario: z.string(), bug: z.string() }).optional(),
    /** Parts of the harness that did not run here, and why (e.g. no firecracker binary). */
    skipped: z.array(z.object({ what: z.string(), why: z.string() })).optional(),
    /** What stopped the run before (or between) scenarios: no QEMU, no image, KVM demanded. */
    errors: z.array(harnessErrorDocSchema).optional(),
    elapsedMs: z.number().optional(),
  })
  .refine((report) => report.ok === ((report.errors ?? []).length === 0
    && report.scenarios.every((s) => s.ok)), {
    message: 'ok must be true exactly when there is no error and every scenario is ok',
  });
export type HarnessReport = z.infer<typeof harnessReportSchema>;

/** A scenario is ok exactly when it has checks and all of them passed. */
export function scenarioOk(checks: readonly Check[]): boolean {
  return checks.length > 0 && checks.every((check) => check.ok);
}

export function makeHarnessReport(
  accel: 'kvm' | 'tcg' | null,
  scenarios: ScenarioReport[],
): HarnessReport {
  return { ok: scenarios.every((scenario) => scenario.ok), accel, scenarios };
}

export const hostsFileSchema = z
  .object({
    /** true: KVM must be used; false: TCG only; "auto" (default): probe. */
    kvm: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /** NVMe namespaces the harness may write (device paths); each needs --destructive. */
    nvmeNamespaces: z.array(z.string().regex(/^\/dev\/nvme\d+(c\d+)?n\d+$/)).default([]),
    /** How many network namespaces scenarios may create as hosts. */
    networkNamespaces: z.number().int().min(0).max(32).default(3),
    /** Loop devices allowed (scratch devices over temp files). */
    loopDevices: z.boolean().default(true),
    /** Where Firecracker is, if anywhere (else PATH is searched). */
    firecracker: z.string().nullable().default(null),
  })
  .strict();
export type HostsFile = z.infer<typeof hostsFileSchema>;

/** Read and validate a hosts file (JSON). */
export function readHostsFile(filePath: string): Result<HostsFile, HarnessError> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(filePath, 'utf8'));
  } catch (thrown) {
    return err(harnessError('io-failed', `hosts file ${filePath}: ${String(thrown)}`));
  }
  const parsed = hostsFileSchema.safeParse(json);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const where = issue === undefined ? '' : `${issue.path.join('.')}: ${issue.message}`;
  return err(harnessError('refused', `hosts file ${filePath} is invalid: ${where}`));
}

const capabilitySchema = z.object({ usable: z.boolean(), detail: z.string() });

export const probeReportSchema = z.object({
  qemu: z.object({ binary: z.string().nullable(), version: z.string().nullable() }),
  kvm: capabilitySchema.extend({ bootMs: z.number().nullable() }),
  tcg: capabilitySchema,
  accel: accelFieldSchema,
  firecracker: z.object({ present: z.boolean(), path: z.string().nullable() }),
  loopDevices: capabilitySchema,
  nvmeNamespaces: z.array(z.object({ devicePath: z.string(), bytes: z.number(),
    model: z.string() })),
  netns: capabilitySchema,
  veth: capabilitySchema,
  netem: capabilitySchema,
  guestImage: z.object({ cached: z.boolean(), dir: z.string().nullable(),
    hash: z.string().nullable() }),
  elapsedMs: z.number(),
});
export type ProbeReport = z.infer<typeof probeReportSchema>;
