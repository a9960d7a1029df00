/**
 * The abstraction function: a cluster's state as the values of the variables of
 * spec/sandbox-reuse/SandboxReuse.tla in the shared JSON form of src/tla/value.ts. Worker
 * managers, requests, tenants and the function name are model values; a sandbox slot is the
 * tuple <<worker, slot>>; None is the spec's model value.
 */
import { fn, model, set, type TlaState, type TlaValue } from '../tla/value.ts';
import {
  allSandboxes, get, validCredentials, workerOf, type Cluster,
} from './cluster.ts';
import * as lim from './limiter.ts';
import { isStored } from './failure-store.ts';
import { workerOfSandbox } from './frontend.ts';
import type { Kind } from './messages.ts';

export const NONE_MODEL = 'None';
const none = model(NONE_MODEL);

export const SPEC_VARIABLES = [
  'sbState', 'sbKind', 'sbReq', 'used', 'rState', 'kind', 'asked', 'probes', 'sb', 'tries',
  'redrives', 'store', 'creds', 'limit', 'inflight', 'completions',
] as const;

export const specKind = (k: Kind | null): TlaValue =>
  k === null ? none : { fn: model(k.fn), ver: k.version, tenant: model(k.tenant) };

/** A sandbox id `worker#slot` as the spec's slot <<worker, slot>>. */
export function specSlot(c: Cluster, id: string): TlaValue {
  const w = workerOfSandbox(id);
  const sb = workerOf(c, w).sandboxes.find((s) => s.id === id);
  if (sb === undefined) throw new Error(`assertion: unknown sandbox ${id}`);
  return [model(w), sb.slot];
}

function perRequest(c: Cluster, f: (r: string) => TlaValue): TlaValue {
  return fn(c.config.requests.map((r) => [model(r), f(r)] as [TlaValue, TlaValue]));
}
function perTenant(c: Cluster, f: (t: string) => TlaValue): TlaValue {
  return fn(c.config.tenants.map((t) => [model(t), f(t)] as [TlaValue, TlaValue]));
}

function sandboxVars(c: Cluster): TlaState {
  const sbs = allSandboxes(c);
  const per = (f: (s: (typeof sbs)[number]) => TlaValue): TlaValue =>
    fn(sbs.map((s) => [[model(s.worker), s.slot], f(s)] as [TlaValue, TlaValue]));
  // A sandbox whose Release message is in flight is the spec's Releasing: held by no request.
  const releasing = (s: (typeof sbs)[number]): boolean => c.releasing[s.id] !== undefined;
  return {
    sbState: per((s) => (releasing(s) ? 'Releasing' : s.phase)),
    sbKind: per((s) => specKind(s.kind)),
    sbReq: per((s) => (s.request === null || releasing(s) ? none : model(s.request))),
    used: per((s) => set(s.used.map(model))),
  };
}

function requestVars(c: Cluster): TlaState {
  const req = (r: string) => get(c.requests, r);
  return {
    rState: perRequest(c, (r) => req(r).phase),
    kind: perRequest(c, (r) => specKind(req(r).kind)),
    asked: perRequest(c, (r) => req(r).asked.map(model)),
    probes: perRequest(c, (r) => req(r).probes),
    sb: perRequest(c, (r) => {
      const s = req(r).sandbox;
      return s === null ? none : specSlot(c, s);
    }),
    tries: perRequest(c, (r) => req(r).tries),
    redrives: perRequest(c, (r) => req(r).redrives),
  };
}

export function specState(c: Cluster): TlaState {
  const creds = new Map<string, TlaValue>();
  for (const m of validCredentials(c)) {
    creds.set(JSON.stringify([m.request, m.sandbox]),
      { req: model(m.request), sb: specSlot(c, m.sandbox) });
  }
  return {
    ...sandboxVars(c),
    ...requestVars(c),
    store: set(c.config.requests.filter((r) => isStored(c.store, r)).map(model)),
    creds: set(creds.values()),
    limit: perTenant(c, (t) => lim.tenantOf(c.limiter, t).limit),
    inflight: perTenant(c, (t) => lim.inflight(c.limiter, t)),
    completions: perRequest(c, (r) => get(c.completions, r)),
  };
}
