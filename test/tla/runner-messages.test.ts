/**
 * The -tool message splitter and decoders on recorded TLC output (test/fixtures/tla/output/),
 * fed whole and in random chunks.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlcOutputCollector } from '../../src/tla/runner.ts';
import {
  decodeActionLabel, decodeProgress, decodeSanyErrors, decodeTraceState, splitToolOutput,
  ToolMessageSplitter, type ToolItem,
} from '../../src/tla/tool-messages.ts';

const recorded = (name: string): string =>
  readFileSync(new URL(`../fixtures/tla/output/${name}`, import.meta.url), 'utf8');

function codes(items: ToolItem[]): number[] {
  return items.flatMap((i) => (i.kind === 'message' ? [i.code] : []));
}

describe('ToolMessageSplitter', () => {
  it('splits a recorded run into messages and loose lines', () => {
    const items = splitToolOutput(recorded('lasso.out'));
    expect(codes(items)).toEqual([2262, 2401, 2187, 2220, 2219, 2185, 2212, 2189, 2190, 2200,
      2192, 2116, 2264, 2217, 2217, 2217, 2122, 2267, 2200, 2199, 2186]);
    const loose = items.flatMap((i) => (i.kind === 'text' ? [i.line] : []));
    expect(loose[0]).toMatch(/^Parsing file .*Lasso\.tla$/);
    const state = items.find((i) => i.kind === 'message' && i.code === 2217);
    expect(state).toMatchObject({ severity: 4 });
    expect(state?.kind === 'message' && state.text).toBe('1: <Initial predicate>\nt = 0');
  });

  it('gives the same items whatever the chunk boundaries', () => {
    const text = recorded('lasso.out');
    const whole = splitToolOutput(text);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 60 }), (cuts) => {
      const s = new ToolMessageSplitter();
      const items: ToolItem[] = [];
      let at = 0;
      for (const n of cuts) {
        items.push(...s.push(text.slice(at, at + n)));
        at += n;
      }
      items.push(...s.push(text.slice(at)), ...s.end());
      expect(items).toEqual(whole);
    }), { numRuns: 100 });
  });

  it('emits a nested message and keeps its text in the outer one', () => {
    const items = splitToolOutput(recorded('missing-cfg.out'));
    const inner = items.find((i) => i.kind === 'message' && i.code === 5001);
    const outer = items.find((i) => i.kind === 'message' && i.code === 1000);
    expect(inner?.kind === 'message' && inner.text).toMatch(/configuration file Nope\.cfg/);
    expect(outer?.kind === 'message' && outer.text).toMatch(/ConfigFileException[\s\S]*Nope\.cfg/);
    expect(codes(items).indexOf(5001)).toBeLessThan(codes(items).indexOf(1000));
  });

  it('flushes an unterminated message at the end', () => {
    const s = new ToolMessageSplitter();
    expect(s.push('@!@!@STARTMSG 2185:0 @!@!@\nStarting')).toEqual([]);
    expect(s.end()).toEqual([{ kind: 'message', code: 2185, severity: 0, text: 'Starting' }]);
  });
});

describe('decoders', () => {
  it('reads progress with grouped numbers and per-minute rates', () => {
    const p = decodeProgress(2200, 'Progress(12) at 2026-11-22 00:54:35: 1,234,567 states ' +
      'generated (1,423 s/min), 98,765 distinct states found (985 ds/min), ' +
      '4,321 states left on queue.');
    expect(p).toEqual({ kind: 'progress', depth: 12, generatedStates: 1234567,
      distinctStates: 98765,
      queueSize: 4321, statesPerMinute: 1423, distinctStatesPerMinute: 985 });
    expect(decodeProgress(2199,
      '13 states generated, 9 distinct states found, 0 states left on queue.'))
      .toEqual({ kind: 'final', generatedStates: 13, distinctStates: 9, queueSize: 0 });
    expect(decodeProgress(2190,
      'Finished computing initial states: 2 distinct states generated at x.'))
      .toMatchObject({ kind: 'init', distinctStates: 2 });
    expect(decodeProgress(2200, 'garbage')).toBeUndefined();
  });

  it('reads trace-state headers', () => {
    const header = '3: <Go line 6, col 7 to line 7, col 37 of module Lasso>';
    expect(decodeTraceState(`${header}\nt = 2`)).toEqual({
      index: 3, action: 'Go', stateText: 't = 2',
      location: { module: 'Lasso', line: 6, column: 7, endLine: 7, endColumn: 37 },
    });
    expect(decodeTraceState('1: <Initial predicate>\n/\\ t = 0')).toMatchObject({ action: null });
    expect(decodeActionLabel('Next')).toEqual({ action: 'Next' });
    expect(decodeTraceState('no header')).toBeUndefined();
  });

  it('reads SANY semantic and lexical errors', () => {
    const semantic = ['Semantic errors:', '', '*** Errors: 2', '',
      'line 4, col 13 to line 4, col 15 of module Sem', '', "Unknown operator: `foo'.", '', '',
      'line 5, col 14 to line 5, col 16 of module Sem', '', "Unknown operator: `bar'."];
    expect(decodeSanyErrors(semantic)).toEqual([
      { module: 'Sem', line: 4, column: 13, message: "Unknown operator: `foo'." },
      { module: 'Sem', line: 5, column: 14, message: "Unknown operator: `bar'." },
    ]);
    const lexical = ['Lexical error at line 3, column 17.  Encountered: "\\n" (10)', '',
      'Fatal errors while parsing TLA+ spec in file Lex', '', 'In module Lex'];
    expect(decodeSanyErrors(lexical)).toEqual([
      { module: 'Lex', line: 3, column: 17, message: expect.stringContaining('Lexical error') },
    ]);
  });
});

describe('TlcOutputCollector', () => {
  it('turns a recorded lasso run into a result', () => {
    const c = new TlcOutputCollector();
    for (const item of splitToolOutput(recorded('lasso.out'))) c.accept(item);
    const r = c.finish(13, 1.5);
    expect(r).toMatchObject({ ok: false, outcome: 'property', exitCode: 13, distinctStates: 3,
      generatedStates: 4, depth: 3, loopsBackTo: 2 });
    expect(r.trace?.map((s) => s.state)).toEqual([{ t: 0 }, { t: 1 }, { t: 2 }]);
  });

  it('calls a config-file failure behind a generic exception a config error', () => {
    const c = new TlcOutputCollector();
    for (const item of splitToolOutput(recorded('missing-cfg.out'))) c.accept(item);
    const r = c.finish(255, 0.3);
    expect(r.outcome).toBe('config-error');
    expect(r.errors?.[0]?.message).toMatch(/Nope\.cfg/);
  });
});
