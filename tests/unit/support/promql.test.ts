import { describe, expect, it } from "vitest";
import { metricNamesIn } from "../../support/promql.js";

describe("metricNamesIn", () => {
  it("finds the metrics of a quantile over summed buckets, not its functions, labels or ranges", () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (method, le) (rate(exchange_rpc_duration_seconds_bucket{method=~"Stream.*"}[$__rate_interval])))')).toEqual(["exchange_rpc_duration_seconds_bucket"]);
  });

  it("finds both sides of a binary operation and recording rule names", () => {
    expect(metricNamesIn("max by (symbol) (exchange_matching_sequence) - on (symbol) group_right () max by (group, symbol) (exchange_event_consumer_position)")).toEqual(["exchange_matching_sequence", "exchange_event_consumer_position"]);
    expect(metricNamesIn("exchange:event_consumer_lag:sequences > 0 and on (group, symbol) max by (group, symbol) (changes(exchange_event_consumer_position[10m])) == 0")).toEqual(["exchange:event_consumer_lag:sequences", "exchange_event_consumer_position"]);
  });

  it("skips numbers, durations and keywords", () => {
    expect(metricNamesIn("(certmanager_certificate_expiration_timestamp_seconds - time()) < 14 * 24 * 3600 or absent(up)")).toEqual(["certmanager_certificate_expiration_timestamp_seconds", "up"]);
    expect(metricNamesIn("time() - max(exchange_wallet_audit_last_success_timestamp_seconds) > 1e3")).toEqual(["exchange_wallet_audit_last_success_timestamp_seconds"]);
  });
});
