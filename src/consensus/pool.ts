/**
 * The pool of ready groups (US10452681B1), sans-IO. The pool asks the driver to create groups
 * until `targetReady` are ready or being made ready; a group is READY when a majority of its
 * target is active and it chose a no-op (it has a working leader). `handOut` gives a ready
 * group away and asks for a replacement; a handed-out group is grown to its target size
 * (US10733201B1). Group and member names come from the driver (`newGroup` inputs), never
 * from a random source of the core.
 */
import { majority } from './messages.ts';

export interface PoolConfig {
  /** How many ready (or provisioning) groups the pool keeps. */
  readonly targetReady: number;
  /** Bound on groups provisioning at once. */
  readonly maxProvisioning: number;
}
export interface PoolGroup {
  readonly id: string;
  readonly target: readonly string[];
  readonly active: readonly string[];
  readonly noopChosen: boolean;
}
export interface PoolState {
  readonly config: PoolConfig;
  /** Groups requested from the driver and not yet announced by `groupCreated`. */
  readonly requested: number;
  readonly groups: Readonly<Record<string, PoolGroup>>;
  readonly handedOut: readonly string[];
}
export type PoolEffect =
  | { readonly type: 'createGroup' }
  | { readonly type: 'proposeNoop'; readonly groupId: string }
  | { readonly type: 'growGroup'; readonly groupId: string; readonly members: readonly string[] };
export interface PoolStep {
  readonly state: PoolState;
  readonly effects: readonly PoolEffect[];
}
export interface PoolError {
  readonly code: 'empty' | 'unknown-group' | 'duplicate-group';
  readonly message: string;
}
export type HandOutResult =
  | { ok: true; groupId: string; step: PoolStep }
  | { ok: false; error: PoolError };

export function initPool(config: PoolConfig): PoolStep {
  if (config.targetReady < 1 || config.maxProvisioning < 1) throw new Error('assertion: bounds');
  return replenish({ config, requested: 0, groups: {}, handedOut: [] });
}

export function isReady(g: PoolGroup): boolean {
  return g.noopChosen && g.active.length >= majority(g.target.length);
}

export const readyGroups = (st: PoolState): string[] =>
  Object.values(st.groups).filter(isReady).map((g) => g.id);

/** Requests new groups until ready + provisioning reaches the target (within the bound). */
export function replenish(st: PoolState): PoolStep {
  const provisioning = Object.values(st.groups).filter((g) => !isReady(g)).length + st.requested;
  const have = readyGroups(st).length + provisioning;
  const want = Math.min(st.config.targetReady - have, st.config.maxProvisioning - provisioning);
  if (want <= 0) return { state: st, effects: [] };
  const effects: PoolEffect[] = Array.from({ length: want }, () => ({ type: 'createGroup' }));
  return { state: { ...st, requested: st.requested + want }, effects };
}

/** The driver created a group with its target members, of which `active` are running. */
export function groupCreated(
  st: PoolState, g: { id: string; target: readonly string[]; active: readonly string[] },
): { ok: true; step: PoolStep } | { ok: false; error: PoolError } {
  if (st.groups[g.id] !== undefined || st.handedOut.includes(g.id)) {
    return { ok: false, error: { code: 'duplicate-group', message: `group ${g.id} exists` } };
  }
  const group: PoolGroup = {
    id: g.id, target: [...g.target], active: [...g.active], noopChosen: false,
  };
  const requested = Math.max(0, st.requested - 1);
  const state = { ...st, requested, groups: { ...st.groups, [g.id]: group } };
  const effects: PoolEffect[] = group.active.length >= majority(group.target.length)
    ? [{ type: 'proposeNoop', groupId: g.id }] : [];
  return { ok: true, step: { state, effects } };
}

function update(st: PoolState, id: string, f: (g: PoolGroup) => PoolGroup): PoolState | null {
  const g = st.groups[id];
  return g === undefined ? null : { ...st, groups: { ...st.groups, [id]: f(g) } };
}

/** A member of a pooled group came up (joined). */
export function memberActive(st: PoolState, groupId: string, member: string): PoolStep | PoolError {
  const before = st.groups[groupId];
  const next = update(st, groupId, (g) =>
    g.active.includes(member) || !g.target.includes(member)
      ? g : { ...g, active: [...g.active, member] });
  if (next === null || before === undefined) {
    return { code: 'unknown-group', message: `no pooled group ${groupId}` };
  }
  const reached = before.active.length < majority(before.target.length) &&
    next.groups[groupId]!.active.length >= majority(before.target.length);
  return { state: next, effects: reached ? [{ type: 'proposeNoop', groupId }] : [] };
}

/** The group chose its no-op: it is ready once a majority is active. */
export function noopChosen(st: PoolState, groupId: string): PoolStep | PoolError {
  const next = update(st, groupId, (g) => ({ ...g, noopChosen: true }));
  if (next === null) return { code: 'unknown-group', message: `no pooled group ${groupId}` };
  return { state: next, effects: [] };
}

/** Hands out a ready group (oldest first), grows it to target and replenishes the pool. */
export function handOut(st: PoolState): HandOutResult {
  const id = readyGroups(st)[0];
  if (id === undefined) return { ok: false, error: { code: 'empty', message: 'no ready group' } };
  const g = st.groups[id]!;
  const groups = Object.fromEntries(Object.entries(st.groups).filter(([k]) => k !== id));
  const after = replenish({ ...st, groups, handedOut: [...st.handedOut, id] });
  const members = g.target.filter((m) => !g.active.includes(m));
  const grow: PoolEffect[] =
    members.length > 0 ? [{ type: 'growGroup', groupId: id, members }] : [];
  const effects = [...grow, ...after.effects];
  return { ok: true, groupId: id, step: { state: after.state, effects } };
}
