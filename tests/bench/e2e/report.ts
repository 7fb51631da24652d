// The bench's figures: each measured run, the median and spread over repeats, the table printed
// at the end, the JSON written beside it and a self-contained HTML latency plot (inline SVG).
import type { Percentiles, RunResult } from "./protocol.js";

export type MeasureName = "plain" | "noop" | "a" | "b" | "c" | "stream" | "h2load plain" | "h2load noop";

export const TITLES: Record<MeasureName, string> = {
  plain: "plain node:http2 answering {}",
  noop: "no-op RPC (GetServerTime)",
  "h2load plain": "h2load: plain node:http2",
  "h2load noop": "h2load: no-op RPC",
  a: "(a) crossing LIMIT GTC, gRPC",
  b: "(b) maker/taker + cancels, gRPC",
  c: "(c) crossing LIMIT GTC, signed REST",
  stream: "(stream) crossing LIMIT GTC, StreamOrderEntry",
};

/** One measured run. */
export interface Measurement {
  readonly name: MeasureName;
  readonly repeat: number;
  readonly elapsedMs: number;
  readonly calls: number;
  readonly orders: number;
  readonly cancels: number;
  readonly trades: number;
  readonly callsPerSecond: number;
  readonly ordersPerSecond: number;
  readonly tradesPerSecond: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** CPU seconds by process over the run (the exchange's until it was quiet again: work the run caused). */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** CPU microseconds per call, by process. */
  readonly cpuPerCallUs: Readonly<Record<string, number>>;
  readonly latency: Readonly<Record<string, Percentiles>>;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** (max - min) / median. */
  readonly spread: number;
  readonly runs: readonly number[];
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((x, y) => x - y);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, spread: Number.NaN, runs: values };
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return { median, min, max, spread: median > 0 ? (max - min) / median : 0, runs: values };
}

export interface Summary {
  readonly name: MeasureName;
  readonly title: string;
  readonly callsPerSecond: Spread;
  readonly ordersPerSecond: Spread;
  readonly tradesPerSecond: Spread;
  /** Per RPC, per percentile: the spread over runs. */
  readonly latency: Readonly<Record<string, { p50: Spread; p90: Spread; p99: Spread; p999: Spread; count: number }>>;
  readonly cpuPerCallUs: Readonly<Record<string, Spread>>;
  readonly refused: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** Median figure over the median ceilings of the same run. */
  readonly vsPlain?: number;
  readonly vsNoop?: number;
}

export function summarize(name: MeasureName, runs: readonly Measurement[], ceilings?: { plain?: number; noop?: number }): Summary {
  const rpcs = [...new Set(runs.flatMap((run) => Object.keys(run.latency)))];
  const latency: Record<string, Summary["latency"][string]> = {};
  for (const rpc of rpcs) {
    const of = (key: "p50" | "p90" | "p99" | "p999") => spreadOf(runs.map((run) => run.latency[rpc]?.[key] ?? Number.NaN));
    latency[rpc] = { p50: of("p50"), p90: of("p90"), p99: of("p99"), p999: of("p999"), count: runs.reduce((sum, run) => sum + (run.latency[rpc]?.count ?? 0), 0) };
  }
  const processes = [...new Set(runs.flatMap((run) => Object.keys(run.cpuPerCallUs)))];
  const refused: Record<string, number> = {};
  for (const run of runs) for (const [reason, count] of Object.entries(run.refused)) refused[reason] = (refused[reason] ?? 0) + count;
  const ordersPerSecond = spreadOf(runs.map((run) => run.ordersPerSecond));
  const isOrders = name === "a" || name === "b" || name === "c" || name === "stream";
  const figure = isOrders ? ordersPerSecond.median : Number.NaN;
  return {
    name,
    title: TITLES[name],
    callsPerSecond: spreadOf(runs.map((run) => run.callsPerSecond)),
    ordersPerSecond,
    tradesPerSecond: spreadOf(runs.map((run) => run.tradesPerSecond)),
    latency,
    cpuPerCallUs: Object.fromEntries(processes.map((process) => [process, spreadOf(runs.map((run) => run.cpuPerCallUs[process] ?? Number.NaN))])),
    refused,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    errorSamples: runs.flatMap((run) => run.errorSamples).slice(0, 5),
    vsPlain: isOrders && ceilings?.plain ? figure / ceilings.plain : undefined,
    vsNoop: isOrders && ceilings?.noop ? figure / ceilings.noop : undefined,
  };
}

export function toMeasurement(name: MeasureName, repeat: number, result: RunResult, trades: number, cpuSeconds: Record<string, number>): Measurement {
  const seconds = result.elapsedMs / 1000;
  const calls = result.calls + Object.values(result.refused).reduce((sum, count) => sum + count, 0);
  return {
    name,
    repeat,
    elapsedMs: result.elapsedMs,
    calls,
    orders: result.orders,
    cancels: result.cancels,
    trades,
    callsPerSecond: calls / seconds,
    ordersPerSecond: result.orders / seconds,
    tradesPerSecond: trades / seconds,
    refused: result.refused,
    errors: result.errors,
    errorSamples: result.errorSamples,
    cpuSeconds,
    cpuPerCallUs: Object.fromEntries(Object.entries(cpuSeconds).map(([process, seconds]) => [process, calls > 0 ? (seconds * 1e6) / calls : Number.NaN])),
    latency: result.latency,
  };
}

// ------------------------------------------------------------------ text table

const rate = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-");
const ms = (value: number) => (!Number.isFinite(value) ? "-" : value < 1 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : Math.round(value).toLocaleString("en-US"));
const pct = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "-" : `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`);
const spreadText = (spread: Spread) => (Number.isFinite(spread.spread) && spread.runs.length > 1 ? ` ±${Math.round((spread.spread * 100) / 2)}%` : "");
const us = (value: number) => (Number.isFinite(value) ? `${Math.round(value).toLocaleString("en-US")} µs` : "-");

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

export interface Context {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly mode: string;
  readonly clients: number;
  readonly client: string;
  readonly accounts: number;
  readonly amount: string;
  readonly repeats: number;
  readonly loadAverage: readonly number[];
}

export function renderTable(context: Context, ceilings: readonly Summary[], workloads: readonly Summary[], notes: readonly string[]): string {
  const out: string[] = [];
  out.push(`bench:e2e on ${context.cpu} (${context.cores} cores), node ${context.node}, ${context.mode}; ${context.clients} clients in flight (${context.client}), ${context.accounts} accounts; ${context.amount} per run, ${context.repeats} run(s): median, ±half the spread (max-min)/median`);
  out.push(`load average at start: ${context.loadAverage.map((value) => value.toFixed(2)).join(" ")} (the machine may be shared: figures of one run are comparable with each other)`);
  out.push("");
  const processesOf = (summaries: readonly Summary[]) => [...new Set(summaries.flatMap((summary) => Object.keys(summary.cpuPerCallUs)))];
  let processes = processesOf(ceilings);
  out.push(`ceilings: the same client (${context.client}) and concurrency; h2load: 1 connection, same streams, Connect JSON`);
  out.push(
    table(
      ["what", "calls/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", ...processes.map((process) => `CPU/call ${process}`)],
      ceilings.map((summary) => {
        const latency = Object.values(summary.latency)[0];
        return [summary.title, `${rate(summary.callsPerSecond.median)}${spreadText(summary.callsPerSecond)}`, ms(latency?.p50.median ?? NaN), ms(latency?.p90.median ?? NaN), ms(latency?.p99.median ?? NaN), ms(latency?.p999.median ?? NaN), ...processes.map((process) => us(summary.cpuPerCallUs[process]?.median ?? NaN))];
      }),
    ),
  );
  out.push("");
  out.push("workloads: orders/s (acknowledged), trades/s (settled and projected), latency per RPC, CPU per call by process (every call is an order in a and c)");
  const rows: string[][] = [];
  processes = processesOf(workloads);
  for (const summary of workloads) {
    const rpcs = Object.entries(summary.latency);
    rpcs.forEach(([rpc, latency], index) => {
      const first = index === 0;
      rows.push([
        first ? summary.title : "",
        first ? `${rate(summary.ordersPerSecond.median)}${spreadText(summary.ordersPerSecond)}` : "",
        first ? rate(summary.tradesPerSecond.median) : "",
        first ? pct(summary.vsPlain) : "",
        first ? pct(summary.vsNoop) : "",
        rpc,
        ms(latency.p50.median),
        ms(latency.p90.median),
        ms(latency.p99.median),
        ms(latency.p999.median),
        ...processes.map((process) => (first ? us(summary.cpuPerCallUs[process]?.median ?? NaN) : "")),
      ]);
    });
  }
  out.push(table(["workload", "orders/s", "trades/s", "vs plain", "vs no-op", "RPC", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", ...processes.map((process) => `CPU/call ${process}`)], rows));
  for (const summary of workloads) {
    const refused = Object.entries(summary.refused).map(([reason, count]) => `${reason} x${count}`);
    if (refused.length > 0 || summary.errors > 0) out.push(`  ${summary.title}: refused ${refused.join(", ") || "none"}; errors ${summary.errors}${summary.errorSamples.length > 0 ? ` (${summary.errorSamples.join(" | ")})` : ""}`);
  }
  if (notes.length > 0) {
    out.push("");
    for (const note of notes) out.push(`note: ${note}`);
  }
  return out.join("\n");
}

// ------------------------------------------------------------------ HTML plot

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
const escape = (text: string) => text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);

/**
 * Latency by percentile, one line per workload and RPC (the run with the median throughput), on
 * log axes: x is 1/(1-p), so 50%, 90%, 99%, 99.9% are evenly spaced; y is milliseconds.
 */
export function renderPlot(title: string, summaries: readonly Summary[], runs: readonly Measurement[]): string {
  const series: { label: string; points: (readonly [number, number])[] }[] = [];
  for (const summary of summaries) {
    const ofName = runs.filter((run) => run.name === summary.name);
    if (ofName.length === 0) continue;
    const median = [...ofName].sort((x, y) => x.callsPerSecond - y.callsPerSecond)[Math.floor(ofName.length / 2)];
    for (const [rpc, latency] of Object.entries(median.latency)) {
      series.push({ label: `${summary.title}: ${rpc}`, points: latency.curve.filter(([percentile]) => percentile < 100).map(([percentile, value]) => [percentile, Math.max(value, 0.001)] as const) });
    }
  }
  const width = 900;
  const height = 520;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 60;
  const xOf = (percentile: number) => Math.log10(1 / (1 - percentile / 100));
  const xMax = xOf(99.99);
  const values = series.flatMap((line) => line.points.map(([, value]) => value));
  const yMin = Math.floor(Math.log10(Math.max(Math.min(...values, 1), 0.001)));
  const yMax = Math.ceil(Math.log10(Math.max(...values, 1)));
  const px = (percentile: number) => left + (xOf(percentile) / xMax) * (width - left - right);
  const py = (value: number) => top + (1 - (Math.log10(value) - yMin) / Math.max(yMax - yMin, 1)) * (height - top - bottom);
  const parts: string[] = [];
  for (const percentile of [0, 50, 90, 99, 99.9, 99.99]) {
    parts.push(`<line x1="${px(percentile)}" y1="${top}" x2="${px(percentile)}" y2="${height - bottom}" stroke="#ddd"/>`);
    parts.push(`<text x="${px(percentile)}" y="${height - bottom + 18}" text-anchor="middle" font-size="12">${percentile}%</text>`);
  }
  for (let exponent = yMin; exponent <= yMax; exponent++) {
    const value = 10 ** exponent;
    parts.push(`<line x1="${left}" y1="${py(value)}" x2="${width - right}" y2="${py(value)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${py(value) + 4}" text-anchor="end" font-size="12">${value >= 1 ? value : value.toFixed(-exponent)} ms</text>`);
  }
  series.forEach((line, index) => {
    const color = COLORS[index % COLORS.length];
    const path = line.points.map(([percentile, value], point) => `${point === 0 ? "M" : "L"}${px(percentile).toFixed(1)},${py(value).toFixed(1)}`).join(" ");
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [percentile, value] of line.points) parts.push(`<circle cx="${px(percentile).toFixed(1)}" cy="${py(value).toFixed(1)}" r="2.5" fill="${color}"><title>${escape(line.label)} p${percentile}: ${ms(value)} ms</title></circle>`);
  });
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 15}" text-anchor="middle" font-size="13">percentile (log scale of 1/(1-p))</text>`);
  const legend = series.map((line, index) => `<li><span style="display:inline-block;width:14px;height:3px;background:${COLORS[index % COLORS.length]};vertical-align:middle;margin-right:6px"></span>${escape(line.label)}</li>`).join("");
  const throughput = summaries
    .map((summary) => `<tr><td>${escape(summary.title)}</td><td>${rate(summary.name === "a" || summary.name === "b" || summary.name === "c" || summary.name === "stream" ? summary.ordersPerSecond.median : summary.callsPerSecond.median)}</td><td>${pct(summary.vsPlain)}</td><td>${pct(summary.vsNoop)}</td></tr>`)
    .join("");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}ul{list-style:none;padding:0}</style>
</head><body>
<h1>${escape(title)}</h1>
<h2>Latency by percentile</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>
<ul>${legend}</ul>
<h2>Throughput (median of runs)</h2>
<table><tr><th>what</th><th>orders/s or calls/s</th><th>vs plain HTTP/2</th><th>vs no-op RPC</th></tr>${throughput}</table>
</body></html>
`;
}
