/**
 * The placement sweep's outputs: a Markdown table and an SVG plot (Vega-Lite compiled to Vega,
 * rendered headless with `renderer: 'none'`).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CellMetrics, SimParams } from './sim.ts';

export type SweepRow = { policy: string; workers: number; load: number; metrics: CellMetrics };

export type RowFigures = {
  probesPerInvocation: number;
  warmHitRatio: number;
  p99Ms: number;
  throttleRate: number;
  utilisation: number;
  simPerCpuSecond: number;
};

export function figuresOf(m: CellMetrics): RowFigures {
  const n = Math.max(1, m.invocations);
  return {
    probesPerInvocation: m.asksTotal / n,
    warmHitRatio: m.warm / n,
    p99Ms: m.p99Ms,
    throttleRate: m.throttled / n,
    utilisation: m.utilisation,
    simPerCpuSecond: m.simulated / Math.max(1e-9, m.cpuMs / 1000),
  };
}

export function markdownTable(rows: SweepRow[], base: Omit<SimParams, 'workers' | 'load'
  | 'functions' | 'measureMs' | 'seed'> & { functionsPerWorker: number; seed: number },
  totals: { simulated: number; wallMs: number; cpuMs: number }): string {
  const lines = [
    '# sandbox-reuse: placement sweep',
    '',
    `Simulated by bench/sandbox-placement.bench.ts (bench/sandbox/sim.ts), seed ${base.seed}.`,
    `Per worker manager ${base.capacity} slots; ${base.functionsPerWorker} function kinds per ` +
      `worker manager, Zipf popularity s=${base.zipfS}; Poisson arrivals; exponential execution, ` +
      `mean ${base.execMeanMs} ms; keep-alive ${base.keepAliveMs} ms; probe ${base.probeMs} ms ` +
      `per worker asked; provision ${base.provisionMs} ms; seed MaxProbes ${base.maxProbes}; ` +
      `warm-up ${base.warmupMs} ms of simulated time excluded.`,
    'probes = worker managers asked per invocation (throttled ones included); warm = warm-hit ' +
      'share of all invocations; p99 = acquisition latency of placed invocations; util = busy ' +
      'slot share seen by arrivals.',
    `Throughput: ${Math.round(totals.simulated).toLocaleString('en-US')} invocations in ` +
      `${(totals.wallMs / 1000).toFixed(1)} s wall, ${(totals.cpuMs / 1000).toFixed(1)} s CPU: ` +
      `${Math.round(totals.simulated / (totals.wallMs / 1000)).toLocaleString('en-US')}/s wall, ` +
      `${Math.round(totals.simulated / (totals.cpuMs / 1000)).toLocaleString('en-US')}/s CPU.`,
    '',
    perPolicyRates(rows),
    '',
    '| W | load | policy | probes | warm | p99 ms | throttled | util | invocations |',
    '|---:|---:|:---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const f = figuresOf(row.metrics);
    lines.push(`| ${row.workers} | ${row.load} | ${row.policy}`
      + ` | ${f.probesPerInvocation.toFixed(2)}`
      + ` | ${f.warmHitRatio.toFixed(3)} | ${f.p99Ms} | ${(f.throttleRate * 100).toFixed(2)}%`
      + ` | ${f.utilisation.toFixed(2)} | ${row.metrics.invocations} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Simulated invocations (and worker asks) per CPU second, per policy. */
function perPolicyRates(rows: SweepRow[]): string {
  const policies = [...new Set(rows.map((r) => r.policy))];
  const parts = policies.map((policy) => {
    const mine = rows.filter((r) => r.policy === policy);
    const cpuS = mine.reduce((n, r) => n + r.metrics.cpuMs, 0) / 1000;
    const sim = mine.reduce((n, r) => n + r.metrics.simulated, 0);
    const askShare = mine.reduce((n, r) => n + r.metrics.asksTotal, 0)
      / Math.max(1, mine.reduce((n, r) => n + r.metrics.invocations, 0));
    return `${policy} ${Math.round(sim / cpuS).toLocaleString('en-US')} inv/s `
      + `(${Math.round((sim * askShare) / cpuS).toLocaleString('en-US')} asks/s)`;
  });
  return `Per policy, per CPU second: ${parts.join('; ')}.`;
}

export async function plotSvg(rows: SweepRow[]): Promise<string> {
  const values = rows.flatMap((row) => {
    const f = figuresOf(row.metrics);
    const common = { policy: row.policy, workers: `W = ${row.workers}`, load: row.load };
    return [
      { ...common, metric: 'warm-hit ratio', value: f.warmHitRatio },
      { ...common, metric: 'p99 acquisition latency (ms)', value: f.p99Ms },
      { ...common, metric: 'probes per invocation', value: f.probesPerInvocation },
    ];
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'sandbox placement: seed vs random, best-of-two, sticky',
    data: { values },
    facet: {
      row: { field: 'metric', type: 'nominal', title: null },
      column: { field: 'workers', type: 'nominal', title: 'worker managers',
        sort: ['W = 10', 'W = 100', 'W = 1000'] },
    },
    spec: {
      width: 220,
      height: 150,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'load', type: 'quantitative', title: 'offered load (share of capacity)' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'policy', type: 'nominal' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
