/** Validation of a plan against the node set: errors are values with a code. */
import { NodeIdSchema, parseFaultPlan } from './schema.ts';
import type { Fault, NodeId, PlanError } from './schema.ts';
import type { SimPlan } from './types.ts';

/** Limit on scheduled inputs in one plan. */
export const MAX_INPUTS = 1_000_000;

/** Returns why `plan` cannot run on `nodeIds`, or undefined when it can. */
export function validatePlan<Input>(
  plan: SimPlan<Input>,
  nodeIds: readonly NodeId[],
): PlanError | undefined {
  const nodesError = validateNodeIds(nodeIds);
  if (nodesError !== undefined) return nodesError;
  const parsed = parseFaultPlan(plan.faults);
  if (!parsed.ok) return parsed.error;
  const known = new Set(nodeIds);
  for (const [i, entry] of parsed.plan.entries()) {
    for (const id of faultNodes(entry.fault)) {
      if (!known.has(id)) return bad(`fault ${i} names unknown node ${JSON.stringify(id)}`);
    }
  }
  const inputs = plan.inputs ?? [];
  if (inputs.length > MAX_INPUTS) return bad(`more than ${MAX_INPUTS} scheduled inputs`);
  for (const [i, entry] of inputs.entries()) {
    if (!Number.isSafeInteger(entry.atMs) || entry.atMs < 0) {
      return bad(`input ${i} has atMs ${entry.atMs}; it must be a non-negative integer`);
    }
    if (!known.has(entry.node)) {
      return bad(`input ${i} names unknown node ${JSON.stringify(entry.node)}`);
    }
  }
  return undefined;
}

export function validateNodeIds(nodeIds: readonly NodeId[]): PlanError | undefined {
  if (nodeIds.length === 0) return bad('a simulation needs at least one node');
  const seen = new Set<string>();
  for (const id of nodeIds) {
    if (!NodeIdSchema.safeParse(id).success) return bad(`invalid node id ${JSON.stringify(id)}`);
    if (seen.has(id)) return bad(`duplicate node id ${JSON.stringify(id)}`);
    seen.add(id);
  }
  return undefined;
}

function faultNodes(fault: Fault): NodeId[] {
  switch (fault.type) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'isolate':
    case 'rejoin':
      return [fault.node];
    case 'partition':
    case 'heal':
      return [fault.from, fault.to];
    case 'healAll':
    case 'network':
      return [];
    default: {
      const never: never = fault;
      throw new Error(`assertion: unknown fault ${JSON.stringify(never)}`);
    }
  }
}

function bad(message: string): PlanError {
  return { code: 'bad-plan', message };
}
