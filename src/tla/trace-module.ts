/**
 * Writes implementation traces as one TLA+ module that TLC checks against a spec (DESIGN.md,
 * "Trace validation on this TLC"). Pure: text in, text out; `validate.ts` runs TLC on it.
 *
 * The module EXTENDS the spec and adds two variables: the trace number `t` (picked by the
 * initial state) and the cursor `l`. Each step of `Next` consumes one trace step:
 *
 *   l <= TVLen[t] /\ t' = t /\ l' = l + 1 /\ <every spec variable' = the step's post-state>
 *   /\ \/ TVTraces[t][l].action = "A" /\ (<formula of A>) \/ …
 *
 * The post-state comes before the action formula so that TLC assigns the primed variables from
 * the trace and evaluates the action's own `x' = …` as tests (cheaper, same meaning). The
 * invariant `l <= TVLen[t]` fails exactly in states where trace t was consumed entirely.
 */
import { z } from 'zod';
import { isTlaIdentifier, modelValuesIn, printNeeds, printTla } from './value-ops.ts';
import type { PrintNeeds } from './value-ops.ts';
import { TlaValueSchema } from './value.ts';
import type { TlaState } from './value.ts';

const TlaStateSchema = z.record(z.string(), TlaValueSchema);

export const TraceStepSchema = z.object({ action: z.string().min(1), state: TlaStateSchema });
export type TraceStep = z.infer<typeof TraceStepSchema>;

/** An implementation run: the state before step 1, then each step's action and post-state. */
export const ImplTraceSchema = z.object({ init: TlaStateSchema, steps: z.array(TraceStepSchema) });
export type ImplTrace = z.infer<typeof ImplTraceSchema>;

const identifier = z.string().refine(isTlaIdentifier, { message: 'not a TLA+ identifier' });

export const TraceValidationSpecSchema = z.object({
  /** The spec module to EXTEND, e.g. spec/fencing/Fencing.tla. */
  specPath: z.string().regex(/\.tla$/, 'a .tla file'),
  /** The CONSTANT(S) block of a cfg (the keyword may be left out). */
  constants: z.string(),
  /** The spec's variables, in order. */
  variables: z.array(identifier).min(1),
  /** Action name -> TLA+ formula of that action with its parameters quantified. */
  actions: z.record(z.string().min(1), z.string().min(1)),
  /** The spec's initial predicate; "Init" when left out. */
  init: z.string().min(1).optional(),
});
export type TraceValidationSpec = z.infer<typeof TraceValidationSpecSchema>;

/** Names the generated module uses; `t` and `l` move aside if the spec already uses them. */
export interface TraceModuleNames {
  module: string;
  trace: string;
  cursor: string;
}

export interface TraceModule {
  names: TraceModuleNames;
  moduleText: string;
  cfgText: string;
  /** Model values the module declares as CONSTANTS (bound to themselves in the cfg). */
  declaredModelValues: string[];
}

export type TraceModuleError = {
  code: 'trace-shape' | 'bad-model-value';
  message: string;
  trace?: number;
  step?: number;
};

const CFG_KEYWORDS = [
  'CONSTANT', 'CONSTANTS', 'INIT', 'NEXT', 'INVARIANT', 'INVARIANTS', 'PROPERTY', 'PROPERTIES',
  'SPECIFICATION', 'SYMMETRY', 'CONSTRAINT', 'CONSTRAINTS', 'ACTION_CONSTRAINT',
  'ACTION_CONSTRAINTS', 'VIEW', 'CHECK_DEADLOCK', 'ALIAS', 'POSTCONDITION',
];

function stripCfgComments(cfg: string): string {
  return cfg.replace(/\(\*[\s\S]*?\*\)/g, ' ').replace(/\\\*.*$/gm, '');
}

/** The CONSTANT(S) sections of a cfg file's text, joined into one block (keyword included). */
export function constantsBlockOf(cfgText: string): string {
  const words = new RegExp(`^\\s*(${CFG_KEYWORDS.join('|')})\\b`, 'gm');
  const text = stripCfgComments(cfgText);
  const marks = [...text.matchAll(words)].map((m) => ({ at: m.index, word: m[1]! }));
  const bodies: string[] = [];
  marks.forEach((m, i) => {
    if (m.word !== 'CONSTANT' && m.word !== 'CONSTANTS') return;
    const end = marks[i + 1]?.at ?? text.length;
    bodies.push(text.slice(m.at, end).replace(/^\s*CONSTANTS?\b/, '').trim());
  });
  return bodies.length === 0 ? '' : `CONSTANTS\n  ${bodies.join('\n  ')}`;
}

/** Constants that a constants block assigns (`C = …`, `C <- …`): declared by the spec. */
export function constantsAssigned(block: string): Set<string> {
  const text = stripCfgComments(block);
  return new Set([...text.matchAll(/([A-Za-z0-9_]+)\s*(?:=|<-)/g)].map((m) => m[1]!));
}

function checkShape(traces: ImplTrace[], variables: string[]): TraceModuleError | null {
  const want = [...variables].sort().join(', ');
  const have = (s: TlaState): string => Object.keys(s).sort().join(', ');
  for (const [i, tr] of traces.entries()) {
    const states = [tr.init, ...tr.steps.map((st) => st.state)];
    const k = states.findIndex((s) => have(s) !== want);
    if (k < 0) continue;
    const message =
      `trace ${i} step ${k}: state has variables {${have(states[k]!)}}, the spec has {${want}}`;
    return { code: 'trace-shape', message, trace: i, step: k };
  }
  return null;
}

function allModelValues(traces: ImplTrace[]): string[] {
  const names = new Set<string>();
  const add = (s: TlaState): void => {
    for (const v of Object.values(s)) for (const n of modelValuesIn(v)) names.add(n);
  };
  for (const tr of traces) (add(tr.init), tr.steps.forEach((st) => add(st.state)));
  return [...names].sort();
}

/** A name not in `taken`: `preferred`, else `fallback` with a numeric suffix as needed. */
function freeName(preferred: string, fallback: string, taken: Set<string>): string {
  if (!taken.has(preferred)) return preferred;
  for (let i = 0; ; i++) {
    const name = i === 0 ? fallback : `${fallback}${i}`;
    if (!taken.has(name)) return name;
  }
}

function printState(s: TlaState, variables: string[]): string {
  return `[${variables.map((v) => `${v} |-> ${printTla(s[v]!)}`).join(', ')}]`;
}

function printTrace(tr: ImplTrace, variables: string[]): string {
  const steps = tr.steps.map(
    (st) => `[action |-> ${printTla(st.action)}, state |-> ${printState(st.state, variables)}]`,
  );
  return `<<${steps.join(',\n    ')}>>`;
}

function collectNeeds(traces: ImplTrace[]): PrintNeeds {
  const needs: PrintNeeds = { integers: false, tlc: false };
  const add = (s: TlaState): void => Object.values(s).forEach((v) => printNeeds(v, needs));
  for (const tr of traces) (add(tr.init), tr.steps.forEach((st) => add(st.state)));
  return needs;
}

export interface TraceModuleInput {
  spec: TraceValidationSpec;
  /** The spec's module name (its file name without .tla). */
  specModule: string;
  traces: ImplTrace[];
  /** Identifiers the spec's modules use, so the generated names avoid them. */
  takenNames: Set<string>;
}

/** The trace-checking module and its cfg for `traces`, or why they cannot be written. */
export function writeTraceModule(input: TraceModuleInput): TraceModule | TraceModuleError {
  const { spec, traces } = input;
  const shapeError = checkShape(traces, spec.variables);
  if (shapeError) return shapeError;
  const models = allModelValues(traces);
  const badModel = models.find((m) => !isTlaIdentifier(m));
  if (badModel !== undefined) {
    return { code: 'bad-model-value', message: `model value ${badModel} is no TLA+ identifier` };
  }
  const assigned = constantsAssigned(spec.constants);
  const declared = models.filter((m) => !assigned.has(m));
  const taken = new Set([...input.takenNames, ...spec.variables, ...declared]);
  const names: TraceModuleNames = {
    module: freeName('TraceCheck', 'TVTraceCheck', taken),
    trace: freeName('t', 'tvTrace', taken),
    cursor: freeName('l', 'tvCursor', taken),
  };
  const moduleText = moduleBody(input, names, declared);
  return { names, moduleText, cfgText: cfgBody(spec, declared), declaredModelValues: declared };
}

function moduleBody(input: TraceModuleInput, names: TraceModuleNames, declared: string[]): string {
  const { spec, traces } = input;
  const { trace: t, cursor: l } = names;
  const vars = spec.variables;
  const needs = collectNeeds(traces);
  const ext = [input.specModule, 'Naturals'];
  if (needs.integers) ext.push('Integers');
  if (needs.tlc) ext.push('TLC');
  const actionNames = Object.keys(spec.actions).sort();
  const disjuncts = actionNames.map(
    (a) => `  \\/ TVTraces[${t}][${l}].action = ${printTla(a)} /\\ (${spec.actions[a]})`,
  );
  if (disjuncts.length === 0) disjuncts.push('  \\/ FALSE');
  return [
    `---- MODULE ${names.module} ----`,
    `EXTENDS ${ext.join(', ')}`,
    ...(declared.length > 0 ? [`CONSTANTS ${declared.join(', ')}`] : []),
    `VARIABLES ${t}, ${l}`,
    `TVInits == <<${traces.map((tr) => printState(tr.init, vars)).join(',\n    ')}>>`,
    `TVTraces == <<\n  ${traces.map((tr) => printTrace(tr, vars)).join(',\n  ')}\n  >>`,
    `TVLen == <<${traces.map((tr) => tr.steps.length).join(', ')}>>`,
    `TVInit == ${t} \\in 1..${traces.length} /\\ ${l} = 1`,
    ...vars.map((v) => `  /\\ ${v} = TVInits[${t}].${v}`),
    `  /\\ ${spec.init ?? 'Init'}`,
    `TVStepTo ==`,
    ...vars.map((v) => `  /\\ ${v}' = TVTraces[${t}][${l}].state.${v}`),
    `TVNext == ${l} <= TVLen[${t}] /\\ ${t}' = ${t} /\\ ${l}' = ${l} + 1 /\\ TVStepTo /\\`,
    ...disjuncts,
    `TVCursorOK == ${l} <= TVLen[${t}]`,
    '====',
    '',
  ].join('\n');
}

function cfgBody(spec: TraceValidationSpec, declared: string[]): string {
  const block = spec.constants.trim();
  const constants = /^CONSTANTS?\b/.test(block) ? block : `CONSTANTS\n${block}`;
  const hasConstants = constants.replace(/^CONSTANTS?\b/, '').trim().length > 0;
  const lines = [
    ...(hasConstants || declared.length > 0 ? [constants] : []),
    ...declared.map((m) => `  ${m} = ${m}`),
    'INIT TVInit',
    'NEXT TVNext',
    'INVARIANT TVCursorOK',
    '',
  ];
  return lines.join('\n');
}

/** Identifier-like tokens of TLA+ source text (a superset of the names it declares). */
export function identifiersIn(tlaText: string): Set<string> {
  return new Set(tlaText.match(/[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*/g) ?? []);
}
