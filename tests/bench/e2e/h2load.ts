// h2load (nghttp2-client) as a neutral client for the ceilings: one connection, K streams,
// a Connect JSON POST of `{}`; what it reports is what a C client gets from the same servers.
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface H2loadResult {
  readonly callsPerSecond: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Mean time per request, ms. */
  readonly meanMs: number;
}

export function h2loadVersion(): string | undefined {
  try {
    return execFileSync("h2load", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n")[0];
  } catch {
    return undefined;
  }
}

function toMs(value: string, unit: string): number {
  const number = Number(value);
  return unit === "us" ? number / 1000 : unit === "s" ? number * 1000 : number;
}

export function runH2load(url: string, streams: number, options: { durationS?: number; requests?: number; workDir: string }): H2loadResult {
  const body = join(options.workDir, "h2load-body.json");
  writeFileSync(body, "{}");
  const amount = options.requests !== undefined ? ["-n", String(options.requests)] : ["-D", String(options.durationS ?? 3), "--warm-up-time=1"];
  const run = spawnSync("h2load", [...amount, "-c", "1", "-m", String(streams), "-d", body, "-H", "content-type: application/json", url], { encoding: "utf8", timeout: 120_000 });
  const out = `${run.stdout ?? ""}\n${run.stderr ?? ""}`;
  const result = parseH2load(out);
  if (!result) throw new Error(`h2load gave no figures (exit ${run.status}):\n${out.slice(0, 2000)}`);
  return result;
}

/** The figures of h2load's report, or undefined when it has none. */
export function parseH2load(out: string): H2loadResult | undefined {
  const finished = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(out);
  const time = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  if (!finished || !requests) return undefined;
  return { callsPerSecond: Number(finished[1]), succeeded: Number(requests[1]), failed: Number(requests[2]), meanMs: time ? toMs(time[5], time[6]) : Number.NaN };
}
