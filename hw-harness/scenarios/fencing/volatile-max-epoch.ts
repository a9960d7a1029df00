/**
 * Bug 1 of the fencing sheet (spec/fencing/bugs/VolatileMaxEpoch.tla), injected from the harness
 * side into the sled process through its composition (`stepsModule`): SledRestart starts with
 * maxEpoch 0 for every extent, as if maxEpoch had lived only in memory. The blocks are kept (the
 * spec keeps `block`); the core module itself is unchanged.
 */
import { sled } from '../../../src/fencing/index.ts';
import type { SledSteps } from '../../../src/fencing/node/index.ts';

export const sledSteps: Partial<SledSteps> = {
  sledRestart: (config, durable) => sled.sledRestart(config, {
    extents: Object.fromEntries(Object.entries(durable.extents)
      .map(([key, extent]) => [key, { ...extent, maxEpoch: 0 }])),
  }),
};
