/**
 * The sandbox state machine of spec/sandbox-reuse/SandboxReuse.tla:
 * Free -> Provisioning -> Busy(r) (built for r) ; Idle -> Busy(r) -> Idle | Resetting -> Idle ;
 * Idle -> Free (reclaimed after its keep-alive). `used` lists the requests that ran since the
 * last reset (single-use mode admits a request only into a sandbox whose `used` is empty).
 */
import type { Kind } from './messages.ts';

export const SANDBOX_PHASES = ['Free', 'Provisioning', 'Idle', 'Busy', 'Resetting'] as const;
export type SandboxPhase = (typeof SANDBOX_PHASES)[number];

export interface Sandbox {
  readonly id: string;
  readonly worker: string;
  readonly slot: number;
  readonly phase: SandboxPhase;
  readonly kind: Kind | null;
  readonly request: string | null;
  readonly used: readonly string[];
}

export interface LifecycleError {
  readonly code: 'bad-transition';
  readonly message: string;
}
export type LifecycleResult = { ok: true; sandbox: Sandbox } | { ok: false; error: LifecycleError };

const fail = (sb: Sandbox, what: string): LifecycleResult => ({
  ok: false,
  error: { code: 'bad-transition', message: `${what}: sandbox ${sb.id} is ${sb.phase}` },
});
const ok = (sandbox: Sandbox): LifecycleResult => ({ ok: true, sandbox });

export function sandboxId(worker: string, slot: number): string {
  return `${worker}#${slot}`;
}

export function freeSandbox(worker: string, slot: number): Sandbox {
  return { id: sandboxId(worker, slot), worker, slot, phase: 'Free', kind: null, request: null,
    used: [] };
}

/** Free -> Provisioning, built for `kind` on behalf of `request`. */
export function provision(sb: Sandbox, kind: Kind, request: string): LifecycleResult {
  if (sb.phase !== 'Free') return fail(sb, 'provision');
  return ok({ ...sb, phase: 'Provisioning', kind, request, used: [] });
}

/** Provisioning -> Busy for the request it was built for (the spec's Ready). */
export function ready(sb: Sandbox): LifecycleResult {
  if (sb.phase !== 'Provisioning') return fail(sb, 'ready');
  return ok({ ...sb, phase: 'Busy' });
}

/** Idle -> Busy(request): the atomic take of an idle sandbox. */
export function reserve(sb: Sandbox, request: string): LifecycleResult {
  if (sb.phase !== 'Idle') return fail(sb, 'reserve');
  return ok({ ...sb, phase: 'Busy', request });
}

/** The reserved request starts executing: recorded in `used`. */
export function start(sb: Sandbox, request: string): LifecycleResult {
  if (sb.phase !== 'Busy' || sb.request !== request) return fail(sb, `start ${request}`);
  return ok(sb.used.includes(request) ? sb : { ...sb, used: [...sb.used, request] });
}

/** Busy -> Resetting (single-use) or Idle, whatever the outcome of the request. */
export function release(sb: Sandbox, request: string, singleUse: boolean): LifecycleResult {
  if (sb.phase !== 'Busy' || sb.request !== request) return fail(sb, `release ${request}`);
  return ok({ ...sb, phase: singleUse ? 'Resetting' : 'Idle', request: null });
}

/** Resetting -> Idle: restored to its saved state, nothing of earlier requests left. */
export function reset(sb: Sandbox): LifecycleResult {
  if (sb.phase !== 'Resetting') return fail(sb, 'reset');
  return ok({ ...sb, phase: 'Idle', used: [] });
}

/** Idle -> Free after the keep-alive expired. */
export function reclaim(sb: Sandbox): LifecycleResult {
  if (sb.phase !== 'Idle') return fail(sb, 'reclaim');
  return ok({ ...sb, phase: 'Free', kind: null, used: [] });
}
