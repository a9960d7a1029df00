/**
 * The harness runner and CLI plumbing with scenarios made for the test (the real four are
 * exercised by their own tests and by `plumbline harness` in CI): an exception becomes a failed
 * check, a failed cleanup fails the scenario, `--inject` reaches exactly the scenario that
 * lists the bug, and the report matches the CLI contract's schema.
 */
import { describe, expect, it } from 'vitest';
import { harnessReportSchema } from '../../hw-harness/report.ts';
import {
  ScenarioRecorder, runHarness, type Scenario, type ScenarioContext,
} from '../../hw-harness/scenarios/index.ts';
import { injectTarget, parseScenarioNames } from '../../src/cli/harness-command.ts';

function fake(name: Scenario['name'], body: (ctx: ScenarioContext) => Promise<void> | void,
  bugs: Scenario['bugs'] = []): Scenario {
  return {
    name, summary: 'test scenario', bugs,
    async run(ctx) {
      const rec = new ScenarioRecorder(name);
      await body(ctx);
      rec.check('the injected bug is absent', ctx.inject === undefined, `inject=${ctx.inject}`);
      rec.figure('answerMs', 42);
      rec.real('nothing');
      return rec.report();
    },
  };
}

describe('harness runner', () => {
  it('runs scenarios, adds the teardown check and a duration, and matches the schema', async () => {
    const lines: string[] = [];
    const report = await runHarness({ scenarios: [fake('fencing', () => undefined)],
      progress: (l) => lines.push(l) });
    expect(harnessReportSchema.safeParse(report).success).toBe(true);
    expect(report.ok).toBe(true);
    expect(report.accel === 'kvm' || report.accel === 'tcg').toBe(true);
    const [s] = report.scenarios;
    expect(s?.checks.map((c) => c.name)).toContain('teardown removes everything the scenario made');
    expect(s?.figures.answerMs).toBe(42);
    expect(s?.figures.scenarioMs).toBeGreaterThanOrEqual(0);
    expect(lines.some((l) => l.includes('fencing: ok'))).toBe(true);
  }, 120_000);

  it('turns an escaped exception and a failed cleanup into failed checks', async () => {
    const throws = fake('fencing', () => { throw new Error('device vanished'); });
    const leaks = fake('snapshot-gc', (ctx) => {
      ctx.teardown.add('remove the thing', async () => { throw new Error('busy'); });
    });
    const report = await runHarness({ scenarios: [throws, leaks] });
    expect(harnessReportSchema.safeParse(report).success).toBe(true);
    expect(report.ok).toBe(false);
    const [a, b] = report.scenarios;
    expect(a?.ok).toBe(false);
    expect(a?.checks.find((c) => !c.ok)?.detail).toContain('device vanished');
    expect(b?.ok).toBe(false);
    expect(b?.checks.find((c) => !c.ok)?.detail).toContain('busy');
  }, 120_000);

  it('injects a bug only into the scenario that lists it', async () => {
    const bug = { name: 'LostFence', property: 'Fenced', description: 'test' };
    const scenarios = [fake('fencing', () => undefined, [bug]), fake('consensus-txn', () => undefined)];
    const target = injectTarget(scenarios, 'LostFence');
    expect(target).toEqual({ scenario: 'fencing', bug: 'LostFence' });
    const report = await runHarness({ scenarios, inject: target });
    expect(report.inject).toEqual(target);
    expect(report.scenarios.map((s) => s.ok)).toEqual([false, true]);
    expect(() => injectTarget(scenarios, 'Nope')).toThrow(/LostFence \(fencing\)/);
  }, 120_000);

  it('refuses unknown scenario names and defaults to all four', () => {
    expect(parseScenarioNames([])).toEqual(['sandbox-reuse', 'snapshot-gc', 'fencing',
      'consensus-txn']);
    expect(parseScenarioNames(['fencing', 'fencing'])).toEqual(['fencing']);
    expect(() => parseScenarioNames(['nope'])).toThrow(/unknown scenario nope/);
  });

  it('a hosts file demanding KVM where none works stops the run with an error', async () => {
    const report = await runHarness({ scenarios: [fake('fencing', () => undefined)],
      hosts: { kvm: true, nvmeNamespaces: [], networkNamespaces: 3, loopDevices: true,
        firecracker: null } });
    expect(harnessReportSchema.safeParse(report).success).toBe(true);
    if (report.errors === undefined) { // a machine where KVM works: nothing to refuse
      expect(report.accel).toBe('kvm');
      return;
    }
    expect(report.ok).toBe(false);
    expect(report.errors?.[0]?.code).toBe('kvm-unusable');
    expect(report.scenarios).toEqual([]);
  }, 120_000);
});
