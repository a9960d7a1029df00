import { describe, expect, it } from 'vitest';
import { declaredNames } from '../../src/check/index.ts';
import { main } from '../../src/cli/main.ts';
import { TlcResultSchema } from '../../src/tla/result.ts';

function capture(): { io: { out: (s: string) => void; err: (s: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (s) => { out += s; }, err: (s) => { err += s; } }, out: () => out, err: () => err };
}

describe('plumbline CLI', () => {
  it('answers an unknown protocol with exit 2 and a JSON usage error', async () => {
    const c = capture();
    const code = await main(['check', 'no-such-protocol', '--json'], c.io);
    expect(code).toBe(2);
    const doc = JSON.parse(c.out()) as { ok: boolean; error: { code: string; message: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe('usage');
    expect(doc.error.message).toContain('no-such-protocol');
  });

  it('rejects a non-numeric --runs with a clear message', async () => {
    const c = capture();
    const code = await main(['conform', 'fencing', '--runs', 'many'], c.io);
    expect(code).toBe(2);
    expect(c.err()).toContain('--runs must be a whole number');
  });

  it('rejects an unknown command', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown command/);
  });

  it('tlc --json prints one document whose ok matches the exit code', async () => {
    const c = capture();
    const code = await main(['tlc', 'test/fixtures/tla/Inv.tla', '--json'], c.io);
    const doc = TlcResultSchema.parse(JSON.parse(c.out()));
    expect(c.out().trim().split('\n')).toHaveLength(1);
    expect(doc.ok).toBe(false);
    expect(code).toBe(1);
    expect(doc.outcome).toBe('invariant');
    expect(doc.violated).toBe('Small');
    expect(doc.trace?.length).toBeGreaterThan(1);
  });

  it('tlc on a missing spec is a usage error, not a crash', async () => {
    const c = capture();
    expect(await main(['tlc', 'does/not/exist.tla', '--json'], c.io)).toBe(2);
    expect(JSON.parse(c.out())).toMatchObject({ ok: false, error: { code: 'usage' } });
  });
});

describe('config parsing for check', () => {
  it('reads PROPERTY and INVARIANT names over several lines and forms', () => {
    const cfg = [
      'CONSTANTS N = 3',
      'INVARIANTS TypeOK',
      '  Safe \\* a comment',
      'PROPERTY Live',
      'SYMMETRY Perms',
    ].join('\n');
    expect(declaredNames(cfg, 'INVARIANT')).toEqual(['TypeOK', 'Safe']);
    expect(declaredNames(cfg, 'PROPERTY')).toEqual(['Live']);
  });
});
