/**
 * Bug 3 of the fencing sheet (spec/fencing/bugs/VolatileIssuer.tla), injected from the harness
 * side into the issuer process through its composition (`stepsModule`): Grant's persist effect
 * is dropped, so the epoch counter lives only in memory and a restarted issuer grants the same
 * epochs again. The core module itself is unchanged.
 */
import { issuer } from '../../../src/fencing/index.ts';
import type { IssuerSteps } from '../../../src/fencing/node/index.ts';

export const issuerSteps: Partial<IssuerSteps> = {
  grant: (state, input) => {
    const step = issuer.grant(state, input);
    return { ...step, effects: step.effects.filter((e) => e.type !== 'persist') };
  },
};
