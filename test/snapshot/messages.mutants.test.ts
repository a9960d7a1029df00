// messages.ts under mutation: the module must load (imported inside the test, so a mutant that
// breaks a schema at load time fails a test instead of every file), and each schema bound on
// its edge: id lengths 1..64 / 1..128, hex of even length and lower case, entropy of at least
// 16 bytes, byte counts non-negative integers, strict objects, every effect kind.
import { describe, expect, it } from 'vitest';

const load = () => import('../../src/snapshot/messages.ts');
const I = 'vm1';
const E = 'ab'.repeat(16);

describe('snapshot-gc messages: inputs', () => {
  it('load, and the input schema accepts each kind by its type', async () => {
    const m = await load();
    const inputs = [
      { type: 'execution-started', instance: I, execId: 'e' },
      { type: 'execution-finished', instance: I, execId: 'e', garbageDelta: 0,
        preservedWrites: 0 },
      { type: 'garbage-reading', instance: I, bytes: 0 },
      { type: 'drained', instance: I },
      { type: 'preserved-saved', instance: I, value: '' },
      { type: 'connections-closed', instance: I, entropy: E },
      { type: 'restored', instance: I },
      { type: 'written-back', instance: I },
      { type: 'tick', instance: I, nowMs: 0 },
    ];
    for (const x of inputs) expect(m.parseGcInput(x)).toEqual({ ok: true, input: x });
    expect(m.parseGcInput({ type: 'nope', instance: I })).toMatchObject({ ok: false,
      code: 'BAD_INPUT' });
    expect(m.parseGcInput({ type: 'drained', instance: I, extra: 1 }).ok).toBe(false);
  });

  it('bounds instance ids to 1..64 characters and execution ids to 1..128', async () => {
    const m = await load();
    const ok = (x: unknown) => m.parseGcInput(x).ok;
    expect(ok({ type: 'drained', instance: '' })).toBe(false);
    expect(ok({ type: 'drained', instance: 'x'.repeat(64) })).toBe(true);
    expect(ok({ type: 'drained', instance: 'x'.repeat(65) })).toBe(false);
    const st = (execId: string) => ({ type: 'execution-started', instance: I, execId });
    expect(ok(st(''))).toBe(false);
    expect(ok(st('e'.repeat(128)))).toBe(true);
    expect(ok(st('e'.repeat(129)))).toBe(false);
  });

  it('takes hex bytes only: even length, lower case, no other characters', async () => {
    const m = await load();
    const ok = (value: string) =>
      m.parseGcInput({ type: 'preserved-saved', instance: I, value }).ok;
    expect(ok('0123456789abcdef')).toBe(true);
    expect(ok('abc')).toBe(false);
    expect(ok('AB')).toBe(false);
    expect(ok('0g')).toBe(false);
    expect(ok('x00')).toBe(false);
    expect(ok('00x')).toBe(false);
    expect(ok('00'.repeat(1 << 19))).toBe(true);
    expect(ok('00'.repeat(1 << 19) + '00')).toBe(false);
    expect(m.HexSchema.safeParse('0a').success).toBe(true);
  });

  it('wants at least 16 bytes of entropy', async () => {
    const m = await load();
    const ok = (entropy: string) =>
      m.parseGcInput({ type: 'connections-closed', instance: I, entropy }).ok;
    expect(ok('ab'.repeat(16))).toBe(true);
    expect(ok('ab'.repeat(15))).toBe(false);
    expect(ok('ab'.repeat(15) + 'a')).toBe(false);
    expect(m.EntropyHexSchema.safeParse('ab'.repeat(17)).success).toBe(true);
  });

  it('byte counts and writes are non-negative integers within their bounds', async () => {
    const m = await load();
    const fin = (garbageDelta: number, preservedWrites: number) => m.parseGcInput({
      type: 'execution-finished', instance: I, execId: 'e', garbageDelta, preservedWrites,
    }).ok;
    expect(fin(Number.MAX_SAFE_INTEGER, 1_000_000)).toBe(true);
    expect(fin(-1, 0)).toBe(false);
    expect(fin(1.5, 0)).toBe(false);
    expect(fin(Number.MAX_SAFE_INTEGER + 1, 0)).toBe(false);
    expect(fin(0, -1)).toBe(false);
    expect(fin(0, 0.5)).toBe(false);
    expect(fin(0, 1_000_001)).toBe(false);
    const read = (bytes: number) => m.parseGcInput({ type: 'garbage-reading', instance: I,
      bytes }).ok;
    expect(read(-1)).toBe(false);
    expect(read(2.5)).toBe(false);
    const tick = (nowMs: number) => m.parseGcInput({ type: 'tick', instance: I, nowMs }).ok;
    expect(tick(-1)).toBe(false);
    expect(tick(0.5)).toBe(false);
    expect(tick(5)).toBe(true);
  });

  it('reports the first issue as its message', async () => {
    const m = await load();
    const r = m.parseGcInput({ type: 'tick', instance: I, nowMs: -1 });
    if (r.ok) throw new Error('accepted a negative clock');
    expect(r.message.length).toBeGreaterThan(0);
    expect(r.message).not.toBe('invalid input');
  });
});

describe('snapshot-gc messages: effects and codes', () => {
  it('accepts each effect kind by its type and refuses extra fields', async () => {
    const m = await load();
    const effects = [
      { type: 'run-execution', instance: I, execId: 'e' },
      { type: 'reject-execution', instance: I, execId: 'e', code: 'AT_CAPACITY' },
      { type: 'read-garbage', instance: I },
      { type: 'stop-admitting', instance: I },
      { type: 'save-preserved', instance: I },
      { type: 'terminate-connections', instance: I, ends: ['instance', 'peer'] },
      { type: 'restore', instance: I, snapshot: 'S', generation: 1, entropy: E },
      { type: 'write-back-preserved', instance: I, value: '0a' },
      { type: 'admit', instance: I },
      { type: 'gc-finished', instance: I, generation: 1, pauseMs: 0 },
      { type: 'input-rejected', instance: I, input: 'tick', code: 'WRONG_INSTANCE',
        message: '' },
    ];
    for (const e of effects) {
      expect(m.GcEffectSchema.parse(e)).toEqual(e);
      expect(m.GcEffectSchema.safeParse({ ...e, extra: 1 }).success).toBe(false);
    }
  });

  it('bounds effect fields: ends at most 2, positive generations, a named snapshot', async () => {
    const m = await load();
    const ok = (e: unknown) => m.GcEffectSchema.safeParse(e).success;
    const term = (ends: string[]) => ({ type: 'terminate-connections', instance: I, ends });
    expect(ok(term([]))).toBe(true);
    expect(ok(term(['instance', 'peer', 'peer']))).toBe(false);
    expect(ok(term(['host']))).toBe(false);
    const restore = { type: 'restore', instance: I, snapshot: 'S', generation: 1, entropy: E };
    expect(ok({ ...restore, generation: 0 })).toBe(false);
    expect(ok({ ...restore, generation: 1.5 })).toBe(false);
    expect(ok({ ...restore, snapshot: '' })).toBe(false);
    expect(ok({ ...restore, entropy: 'ab' })).toBe(false);
    const fin = { type: 'gc-finished', instance: I, generation: 1, pauseMs: 0 };
    expect(ok({ ...fin, generation: 0 })).toBe(false);
    expect(ok({ ...fin, pauseMs: -1 })).toBe(false);
    expect(ok({ ...fin, pauseMs: 0.5 })).toBe(false);
    expect(ok({ type: 'write-back-preserved', instance: I, value: 'A' })).toBe(false);
  });

  it('names exactly the documented codes', async () => {
    const m = await load();
    expect(m.GcErrorCodeSchema.options).toEqual([
      'WRONG_INSTANCE', 'UNEXPECTED_INPUT', 'UNKNOWN_EXECUTION', 'DUPLICATE_EXECUTION',
      'NOT_DRAINED', 'REUSED_ENTROPY',
    ]);
    expect(m.RejectCodeSchema.options).toEqual(['NOT_ADMITTING', 'OVER_THRESHOLD',
      'AT_CAPACITY']);
    expect(m.ConnEndSchema.options).toEqual(['instance', 'peer']);
  });
});
