/** The fencing sheet's bugs this scenario can inject (names as in spec/fencing/bugs/). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InjectableBug } from '../types.ts';

export const BUGS: readonly InjectableBug[] = [
  {
    name: 'VolatileMaxEpoch',
    property: 'NoStaleWrite',
    description: 'sled-main runs with stepsModule volatile-max-epoch.ts: SledRestart forgets '
      + 'maxEpoch (0), so a restarted sled performs writes of an epoch it had fenced',
  },
  {
    name: 'VolatileIssuer',
    property: 'OneWriterPerEpoch',
    description: 'issuer-main runs with stepsModule volatile-issuer.ts: Grant never persists '
      + 'its counter, so after the issuer\'s restart two heads are granted the same epoch',
  },
];

const here = path.dirname(fileURLToPath(import.meta.url));

/** The steps modules that inject `bug` into the role processes (empty: the cores' own). */
export type Injection = { sledSteps?: string; issuerSteps?: string };

export function injectionFor(bug: string | undefined): Injection | null {
  switch (bug) {
    case undefined:
      return {};
    case 'VolatileMaxEpoch':
      return { sledSteps: path.join(here, 'volatile-max-epoch.ts') };
    case 'VolatileIssuer':
      return { issuerSteps: path.join(here, 'volatile-issuer.ts') };
    default:
      return null;
  }
}
