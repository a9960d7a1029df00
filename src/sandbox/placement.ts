/**
 * Placement policy of the seed (US11144359B1): ask a random worker manager not yet asked for an
 * idle sandbox of the function; once `maxProbes` were asked, ask the next one to provision if it
 * has no idle sandbox; when every worker manager was asked, answer with explicit throttling.
 * Pure: randomness comes from the driver through `randomIndex`.
 */

export interface PlacementView {
  workers: readonly string[];   // worker manager ids, in a fixed order
  asked: readonly string[];     // already asked for this invocation, in order
  maxProbes: number;            // the seed's resource threshold
}

export type PlacementStep =
  | { kind: 'probe'; worker: string }      // ask for an idle sandbox of the function only
  | { kind: 'provision'; worker: string }  // ask for an idle one, else provision one
  | { kind: 'throttle' };                  // everyone asked: explicit throttling error

/** `randomIndex(n)` returns an integer in [0, n) from the driver's PRNG. */
export function nextPlacementStep(view: PlacementView, randomIndex: (n: number) => number):
  PlacementStep {
  if (!Number.isInteger(view.maxProbes) || view.maxProbes < 0) {
    throw new Error(`placement: maxProbes must be a non-negative integer, got ${view.maxProbes}`);
  }
  const asked = new Set(view.asked);
  const remaining = view.workers.filter((w) => !asked.has(w));
  if (remaining.length === 0) return { kind: 'throttle' };
  const index = randomIndex(remaining.length);
  if (!Number.isInteger(index) || index < 0 || index >= remaining.length) {
    throw new Error(`placement: randomIndex(${remaining.length}) returned ${index}`);
  }
  const worker = remaining[index]!;
  return view.asked.length < view.maxProbes
    ? { kind: 'probe', worker }
    : { kind: 'provision', worker };
}
