/**
 * TLC's `-tool` output: every message is wrapped as
 *
 *   @!@!@STARTMSG <code>:<class> @!@!@
 *   <text>
 *   @!@!@ENDMSG <code> @!@!@
 *
 * with class 0 info, 1 error, 2 TLC bug, 3 warning, 4 state. Text outside any message (SANY's
 * parse and semantic errors, "Parsing file …" lines) comes through as `text` items, one per
 * line. Messages may nest (an exception message quoting a config error): the inner one is
 * emitted on its own and its text is also kept inside the outer one.
 *
 * `ToolMessageSplitter` is incremental: push chunks as they arrive, in any sizes.
 */
import type { TlcLocation, TlcProgress } from './result.ts';

export type ToolItem =
  | { kind: 'message'; code: number; severity: number; text: string }
  | { kind: 'text'; line: string };

export const Severity = { info: 0, error: 1, bug: 2, warning: 3, state: 4 } as const;

const MARKER = /@!@!@(?:STARTMSG (\d+):(\d+)|ENDMSG (\d+)) @!@!@/g;
/** Messages nested deeper than this are a sign of garbage; the splitter then resets. */
const NESTING_MAX = 16;

interface Open { code: number; severity: number; text: string }

export class ToolMessageSplitter {
  private pending = '';
  private readonly open: Open[] = [];

  /** Feed a chunk of stdout; returns the items completed by it. */
  push(chunk: string): ToolItem[] {
    this.pending += chunk;
    const lastNl = this.pending.lastIndexOf('\n');
    if (lastNl < 0) return [];
    const complete = this.pending.slice(0, lastNl + 1);
    this.pending = this.pending.slice(lastNl + 1);
    const out: ToolItem[] = [];
    this.scan(complete, out);
    return out;
  }

  /** Flush at end of stream: a trailing partial line, and any message never closed. */
  end(): ToolItem[] {
    const out: ToolItem[] = [];
    if (this.pending !== '') this.scan(`${this.pending}\n`, out);
    this.pending = '';
    while (this.open.length > 0) {
      const m = this.open.pop()!;
      out.push({ kind: 'message', code: m.code, severity: m.severity, text: trimBody(m.text) });
    }
    return out;
  }

  private scan(s: string, out: ToolItem[]): void {
    MARKER.lastIndex = 0;
    let from = 0;
    for (let m = MARKER.exec(s); m !== null; m = MARKER.exec(s)) {
      this.addText(s.slice(from, m.index), out);
      from = m.index + m[0].length;
      if (s.charCodeAt(from) === 10) from++;
      if (m[1] !== undefined) this.start(Number(m[1]), Number(m[2]));
      else this.finish(Number(m[3]), out);
    }
    this.addText(s.slice(from), out);
  }

  private start(code: number, severity: number): void {
    if (this.open.length >= NESTING_MAX) this.open.length = 0;
    this.open.push({ code, severity, text: '' });
  }

  private finish(code: number, out: ToolItem[]): void {
    const m = this.open.pop();
    if (m === undefined) return; // an ENDMSG without STARTMSG: ignore
    const text = trimBody(m.text);
    if (m.code !== code) m.code = code; // unbalanced markers: trust the closing code
    out.push({ kind: 'message', code: m.code, severity: m.severity, text });
    const outer = this.open.at(-1);
    if (outer) outer.text += `${text}\n`;
  }

  private addText(s: string, out: ToolItem[]): void {
    if (s === '') return;
    const inner = this.open.at(-1);
    if (inner) {
      inner.text += s;
      return;
    }
    const lines = s.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) out.push({ kind: 'text', line });
  }
}

function trimBody(s: string): string {
  return s.replace(/\s+$/, '');
}

/** Split a whole output at once (tests, recorded logs). */
export function splitToolOutput(output: string): ToolItem[] {
  const s = new ToolMessageSplitter();
  return [...s.push(output), ...s.end()];
}

// ---------------------------------------------------------------------------------------------
// Decoders for the text of individual messages.


/** TLC prints counts with grouping commas even in English ("1,423"). */
function count(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

const PROGRESS_RE = new RegExp(
  '^Progress\\((-?\\d+)\\) at [^:]+:\\d+:\\d+: ([\\d,]+) states generated' +
  '(?: \\(([\\d,.]+) s/min\\))?, (-?[\\d,]+) distinct states found' +
  '(?: \\(([\\d,.]+) ds/min\\))?, (-?[\\d,]+) states left on queue',
);
const FINAL_RE = /^([\d,]+) states generated, ([\d,]+) distinct states found, ([\d,]+) states left/;
const INIT_RE = /^Finished computing initial states: ([\d,]+) distinct states? generated/;

/** Progress from messages 2200/2209 (periodic), 2199 (final) and 2190 (initial states). */
export function decodeProgress(code: number, text: string): TlcProgress | undefined {
  if (code === 2200 || code === 2209) {
    const m = PROGRESS_RE.exec(text);
    if (!m) return undefined;
    // In simulation TLC prints -1 for what it does not count (depth, distinct, queue).
    const known = (s: string | undefined): number | undefined => {
      const n = count(s);
      return n === undefined || n < 0 ? undefined : n;
    };
    const p: TlcProgress = { kind: 'progress', generatedStates: known(m[2]) ?? 0,
      distinctStates: known(m[4]) ?? 0 };
    const depth = known(m[1]);
    const queueSize = known(m[6]);
    if (depth !== undefined) p.depth = depth;
    if (queueSize !== undefined) p.queueSize = queueSize;
    if (m[3] !== undefined) p.statesPerMinute = count(m[3]);
    if (m[5] !== undefined) p.distinctStatesPerMinute = count(m[5]);
    return p;
  }
  if (code === 2199) {
    const m = FINAL_RE.exec(text);
    if (!m) return undefined;
    return { kind: 'final', generatedStates: count(m[1]) ?? 0, distinctStates: count(m[2]) ?? 0,
      queueSize: count(m[3]) };
  }
  if (code === 2190) {
    const m = INIT_RE.exec(text);
    if (!m) return undefined;
    const n = count(m[1]) ?? 0;
    return { kind: 'init', depth: 1, generatedStates: n, distinctStates: n };
  }
  return undefined;
}

const LOCATION_RE =
  /^(.*?) line (\d+), col (\d+) to line (\d+), col (\d+) of module ([A-Za-z0-9_]+)$/;

/** `Go line 6, col 7 to line 6, col 37 of module Lasso` -> name and location. */
export function decodeActionLabel(label: string): { action: string; location?: TlcLocation } {
  const m = LOCATION_RE.exec(label);
  if (!m) return { action: label };
  return {
    action: m[1]!,
    location: { module: m[6]!, line: Number(m[2]), column: Number(m[3]),
      endLine: Number(m[4]), endColumn: Number(m[5]) },
  };
}

export interface StepHeader {
  index: number;
  action: string | null;
  location?: TlcLocation;
  stateText: string;
}

/** A 2217 trace-state message: `N: <Action line … of module M>` then the state. */
export function decodeTraceState(text: string): StepHeader | undefined {
  const nl = text.indexOf('\n');
  const head = nl < 0 ? text : text.slice(0, nl);
  const m = /^(\d+): <(.*)>\s*$/.exec(head);
  if (!m) return undefined;
  const stateText = nl < 0 ? '' : text.slice(nl + 1);
  const index = Number(m[1]);
  if (m[2] === 'Initial predicate') return { index, action: null, stateText };
  const { action, location } = decodeActionLabel(m[2]!);
  return location ? { index, action, location, stateText } : { index, action, stateText };
}

/** A 2122 message: `2: Back to state: <Go line …>` -> 2. */
export function decodeBackToState(text: string): number | undefined {
  const m = /^(\d+): Back to state/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The innermost position of a 2103 message ("N. Line L, column C to line … in Module"). */
export function decodeNestedPosition(
  text: string,
): { module: string; line: number; column: number } | undefined {
  const re = /Line (\d+), column (\d+) to line \d+, column \d+ in ([A-Za-z0-9_]+)/g;
  let last: { module: string; line: number; column: number } | undefined;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    last = { module: m[3]!, line: Number(m[1]), column: Number(m[2]) };
  }
  return last;
}

/** An error SANY printed outside the tool messages, located in a module (not yet a file). */
export interface SanyError { message: string; module?: string; line?: number; column?: number }

const SEMANTIC_LOC_RE = /^line (\d+), col (\d+) to line \d+, col \d+ of module ([A-Za-z0-9_]+)$/;
const PARSE_AT_RE = /at line (\d+), column (\d+)/;

/**
 * SANY's parse, lexical and semantic errors from the lines printed outside tool messages.
 * Semantic errors come as a location line followed by message lines; parse errors as a block
 * holding "… at line L, column C" and naming the module that failed.
 */
export function decodeSanyErrors(lines: readonly string[]): SanyError[] {
  const out: SanyError[] = [];
  const semanticAt = lines.findIndex((l) => /^Semantic errors:/.test(l));
  if (semanticAt >= 0) out.push(...semanticErrors(lines.slice(semanticAt + 1)));
  const parseAt = lines.findIndex((l) => /^\*\*\*Parse Error\*\*\*|^Lexical error/.test(l));
  if (parseAt >= 0) out.push(parseError(lines.slice(parseAt)));
  const missing = lines.find((l) => /^Cannot find source file for module/.test(l));
  if (missing && parseAt < 0) out.push({ message: missing.trim() });
  return out;
}

function semanticErrors(lines: readonly string[]): SanyError[] {
  const out: SanyError[] = [];
  let current: SanyError | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    const loc = SEMANTIC_LOC_RE.exec(line);
    if (loc) {
      current = { message: '', module: loc[3]!, line: Number(loc[1]), column: Number(loc[2]) };
      out.push(current);
    } else if (current && line !== '' && !line.startsWith('***')) {
      current.message = current.message === '' ? line : `${current.message} ${line}`;
    }
  }
  for (const e of out) if (e.message === '') e.message = 'semantic error';
  return out;
}

function parseError(lines: readonly string[]): SanyError {
  const blockEnd = lines.findIndex((l, i) => i > 0 && l.trim() === '');
  const block = lines.slice(0, blockEnd < 0 ? lines.length : blockEnd)
    .map((l) => l.trim()).filter((l) => l !== '' && l !== '***Parse Error***');
  const at = lines.map((l) => PARSE_AT_RE.exec(l)).find((m) => m !== null);
  const moduleLine = lines.map((l) => /^(?:Could not parse module|In module) ([A-Za-z0-9_]+)/
    .exec(l.trim())).find((m) => m !== null);
  const e: SanyError = { message: block.join(' ') || 'parse error' };
  if (moduleLine) e.module = moduleLine[1]!;
  if (at) {
    e.line = Number(at[1]);
    e.column = Number(at[2]);
  }
  return e;
}
