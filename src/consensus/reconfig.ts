/**
 * Reconfiguration by growth to a fixed target (US10733201B1): a group has a TARGET
 * membership; it starts with only a majority of it active, and Join(m) activates a fresh
 * member (empty acceptor state) that catches up by learning chosen entries. Quorums are always
 * majorities of the target, active or not, so safety is plain Paxos.
 */
import { majority } from './messages.ts';

export interface Membership {
  readonly target: readonly string[];
  readonly active: readonly string[];
}
export interface ReconfigError {
  readonly code: 'not-in-target' | 'already-active' | 'too-few-active';
  readonly message: string;
}
export type MembershipResult =
  | { ok: true; membership: Membership }
  | { ok: false; error: ReconfigError };

/** A group starting with `active` (at least a majority of `target`) running. */
export function initMembership(
  target: readonly string[], active: readonly string[],
): MembershipResult {
  if (new Set(target).size !== target.length) throw new Error('assertion: distinct members');
  const stray = active.find((m) => !target.includes(m));
  if (stray !== undefined) {
    return { ok: false, error: { code: 'not-in-target', message: `${stray} not in target` } };
  }
  if (new Set(active).size < majority(target.length)) {
    const message = `${active.length} active of ${target.length}: need a majority`;
    return { ok: false, error: { code: 'too-few-active', message } };
  }
  return { ok: true, membership: { target: [...target], active: [...new Set(active)] } };
}

/** Join(m): activate target member m. */
export function join(ms: Membership, member: string): MembershipResult {
  if (!ms.target.includes(member)) {
    return { ok: false, error: { code: 'not-in-target', message: `${member} not in target` } };
  }
  if (ms.active.includes(member)) {
    return { ok: false, error: { code: 'already-active', message: `${member} already active` } };
  }
  return { ok: true, membership: { target: ms.target, active: [...ms.active, member] } };
}

export const canJoin = (ms: Membership, member: string): boolean =>
  ms.target.includes(member) && !ms.active.includes(member);

/** The quorum size of the group: a majority of the target, whatever is active. */
export const quorumSize = (ms: Membership): number => majority(ms.target.length);

/** Whether the active members alone can form a quorum (the group can make progress). */
export const hasActiveQuorum = (ms: Membership): boolean =>
  ms.active.length >= quorumSize(ms);

/** Members still to join to reach the target size. */
export const missing = (ms: Membership): string[] =>
  ms.target.filter((m) => !ms.active.includes(m));
