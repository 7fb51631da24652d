// Latency per RPC, in hdr histograms of microseconds (3 significant digits, up to 60 s).
import * as hdr from "hdr-histogram-js";
import type { Percentiles } from "./protocol.js";

/** Percentiles drawn in the plot: dense in the tail, where the interesting part is. */
const CURVE = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];

export class LatencyRecorder {
  private readonly histograms = new Map<string, hdr.Histogram>();

  /** Records one call of `rpc` that took `micros`. */
  record(rpc: string, micros: number): void {
    let histogram = this.histograms.get(rpc);
    if (!histogram) {
      histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
      this.histograms.set(rpc, histogram);
    }
    histogram.recordValue(Math.max(1, Math.min(60_000_000, Math.round(micros))));
  }

  summary(): Record<string, Percentiles> {
    const out: Record<string, Percentiles> = {};
    for (const [rpc, h] of this.histograms) {
      const ms = (percentile: number) => h.getValueAtPercentile(percentile) / 1000;
      out[rpc] = {
        count: h.totalCount,
        mean: h.mean / 1000,
        p50: ms(50),
        p90: ms(90),
        p99: ms(99),
        p999: ms(99.9),
        max: h.maxValue / 1000,
        curve: CURVE.map((percentile) => [percentile, percentile === 100 ? h.maxValue / 1000 : ms(percentile)] as const),
      };
    }
    return out;
  }
}
