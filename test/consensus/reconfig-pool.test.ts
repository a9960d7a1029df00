import { describe, expect, it } from 'vitest';
import { pool, reconfig, type PoolState } from '../../src/consensus/index.ts';

describe('reconfig', () => {
  it('starts with a majority of the target and grows by joins', () => {
    const bad = reconfig.initMembership(['a', 'b', 'c'], ['a']);
    expect(!bad.ok && bad.error.code).toBe('too-few-active');
    const r = reconfig.initMembership(['a', 'b', 'c'], ['a', 'b']);
    if (!r.ok) throw new Error(r.error.message);
    expect(reconfig.quorumSize(r.membership)).toBe(2);
    expect(reconfig.missing(r.membership)).toEqual(['c']);
    const j = reconfig.join(r.membership, 'c');
    if (!j.ok) throw new Error(j.error.message);
    expect(j.membership.active).toEqual(['a', 'b', 'c']);
    expect(reconfig.quorumSize(j.membership)).toBe(2);
    const again = reconfig.join(j.membership, 'c');
    expect(!again.ok && again.error.code).toBe('already-active');
    const stray = reconfig.join(j.membership, 'z');
    expect(!stray.ok && stray.error.code).toBe('not-in-target');
  });
  it('quorums are majorities of the target, not of the active members', () => {
    const r = reconfig.initMembership(['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c']);
    if (!r.ok) throw new Error(r.error.message);
    expect(reconfig.quorumSize(r.membership)).toBe(3);
    expect(reconfig.hasActiveQuorum(r.membership)).toBe(true);
  });
});

function ok<T>(r: { ok: true; step: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.step;
}
function step(r: pool.PoolStep | pool.PoolError): pool.PoolStep {
  if ('code' in r) throw new Error(r.message);
  return r;
}

describe('pool of ready groups', () => {
  it('provisions to the target, hands out ready groups only, grows and replenishes', () => {
    const init = pool.initPool({ targetReady: 2, maxProvisioning: 2 });
    expect(init.effects).toEqual([{ type: 'createGroup' }, { type: 'createGroup' }]);
    let st: PoolState = init.state;
    const g1 = ok(pool.groupCreated(st, { id: 'g1', target: ['a', 'b', 'c'], active: ['a', 'b'] }));
    expect(g1.effects).toEqual([{ type: 'proposeNoop', groupId: 'g1' }]);
    const g2 = { id: 'g2', target: ['d', 'e', 'f'], active: ['d'] };
    st = ok(pool.groupCreated(g1.state, g2)).state;
    expect(pool.replenish(st).effects).toEqual([]);
    const empty = pool.handOut(st);
    expect(!empty.ok && empty.error.code).toBe('empty');
    st = step(pool.noopChosen(st, 'g1')).state;
    const grown = step(pool.memberActive(st, 'g2', 'e'));
    expect(grown.effects).toEqual([{ type: 'proposeNoop', groupId: 'g2' }]);
    st = grown.state;
    expect(pool.readyGroups(st)).toEqual(['g1']);
    const h = pool.handOut(st);
    if (!h.ok) throw new Error(h.error.message);
    expect(h.groupId).toBe('g1');
    expect(h.step.effects).toEqual([
      { type: 'growGroup', groupId: 'g1', members: ['c'] }, { type: 'createGroup' },
    ]);
    const dup = pool.groupCreated(h.step.state, { id: 'g1', target: ['x'], active: ['x'] });
    expect(!dup.ok && dup.error.code).toBe('duplicate-group');
  });
});
