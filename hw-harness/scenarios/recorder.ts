/**
 * Collects a scenario's checks, figures and what ran real or emulated, and makes the report.
 * `check` records pass/fail with a detail a person can act on; `figure` records a measured
 * number whose name carries its unit (`bootMs`, `snapshotBytes`, `commitsPerS`).
 */
import { scenarioOk, type Check, type ScenarioReport } from '../report.ts';
import type { ScenarioName } from './types.ts';

export class ScenarioRecorder {
  private readonly checks: Check[] = [];
  private readonly figures: Record<string, number> = {};
  private readonly realParts = new Set<string>();
  private readonly emulatedParts = new Set<string>();

  constructor(readonly name: ScenarioName) {}

  /** Record a check; returns `ok` so callers can branch on it. */
  check(name: string, ok: boolean, detail: string): boolean {
    this.checks.push({ name, ok, detail: detail.slice(0, 2_000) });
    return ok;
  }

  /** Record a figure (rounded to 3 decimals; non-finite numbers are refused as a failed check). */
  figure(name: string, value: number): void {
    if (!Number.isFinite(value)) {
      this.check(`figure ${name}`, false, `not a finite number: ${value}`);
      return;
    }
    this.figures[name] = Math.round(value * 1000) / 1000;
  }

  real(what: string): void {
    this.realParts.add(what);
  }

  emulated(what: string): void {
    this.emulatedParts.add(what);
  }

  /** A failure that ended the scenario early (an exception, a setup step that failed). */
  fail(step: string, error: unknown): void {
    const message = error instanceof Error ? `${error.message}` : typeof error === 'object'
      && error !== null && 'message' in error ? String((error as { message: unknown }).message)
      : String(error);
    this.check(`${step} completes`, false, message);
  }

  get failedChecks(): readonly Check[] {
    return this.checks.filter((c) => !c.ok);
  }

  report(): ScenarioReport {
    return {
      name: this.name,
      ok: scenarioOk(this.checks),
      checks: [...this.checks],
      figures: { ...this.figures },
      real: [...this.realParts],
      emulated: [...this.emulatedParts],
    };
  }
}
