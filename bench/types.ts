/** One measured figure. `value` is what was measured, in `unit`; `target` is the goal, if any. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  samples?: number;
  target?: { op: '>=' | '<='; value: number };
  detail?: Record<string, unknown>;
}
