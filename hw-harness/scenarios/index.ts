/**
 * The harness scenarios, one per protocol (`<name>/index.ts` exports `scenario`), and the
 * runner. Scenarios load lazily: `plumbline harness fencing` does not import the VM backends.
 */
import { SCENARIO_NAMES, type Scenario, type ScenarioName } from './types.ts';

export { runHarness, type HarnessRunOptions } from './runner.ts';
export { ScenarioRecorder } from './recorder.ts';
export {
  SCENARIO_NAMES, type InjectableBug, type Scenario, type ScenarioContext, type ScenarioName,
} from './types.ts';

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** Load one scenario module and check it is what it claims to be. */
export async function loadScenario(name: ScenarioName): Promise<Scenario> {
  const loaded: unknown = await import(`./${name}/index.ts`);
  const scenario = (loaded as { scenario?: Scenario }).scenario;
  if (scenario === undefined || scenario.name !== name || typeof scenario.run !== 'function') {
    throw new Error(`assertion: hw-harness/scenarios/${name}/index.ts exports no scenario ${name}`);
  }
  return scenario;
}

export async function loadScenarios(names: readonly ScenarioName[] = SCENARIO_NAMES):
  Promise<Scenario[]> {
  return Promise.all(names.map((name) => loadScenario(name)));
}
