// The exchange's Grafana dashboards, as code. `npm run dashboards` writes them to helm/exchange/files/dashboards/
// (the chart's ConfigMaps carry those files); docs/operations.md says what each panel means.
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { dashboard, line, quantile, single } from "./panels.js";

const SYMBOL = `{symbol=~"$symbol"}`;
const SERVER_ERRORS = `code=~"2|4|13|14|15"`;

const overview = dashboard({
  uid: "exchange-overview",
  title: "Exchange / Overview",
  description: "Is money conserved, are orders matching and settling, is any service failing or slow.",
  rows: [
    {
      title: "Health",
      panels: [
        single({ title: "Money conserved", description: "1: the wallet audit found every asset's balances equal to deposits minus withdrawals (exchange_wallet_conservation_ok, worst replica).", unit: "none", width: 6, queries: [["min(exchange_wallet_conservation_ok)", "conserved"]], steps: [[null, "red"], [1, "green"]] }),
        single({ title: "Pods answering /metrics", description: "Scrape targets up, out of all the exchange's pods.", unit: "percentunit", width: 6, queries: [['avg(up{component=~"auth|edge|marketdata|matching|order|wallet|notifier"})', "up"]], steps: [[null, "red"], [0.99, "green"]] }),
        single({ title: "Worst consumer lag", description: "The most events any consumer group has not applied yet, on any symbol (exchange:event_consumer_lag:sequences).", unit: "none", width: 6, queries: [["max(exchange:event_consumer_lag:sequences)", "lag"]], steps: [[null, "green"], [100, "orange"], [1000, "red"]] }),
        single({ title: "RPC server errors", description: "Share of RPCs failing on the server's side over 5 minutes, worst service.", unit: "percentunit", width: 6, queries: [["max(exchange:rpc_server_errors:ratio_5m)", "errors"]], steps: [[null, "green"], [0.001, "orange"], [0.01, "red"]] }),
      ],
    },
    {
      title: "Trading",
      panels: [
        line({ title: "Orders decided by matching", description: "Orders per second by outcome (accepted, rejected, filled, canceled, expired).", unit: "ops", queries: [["sum by (outcome) (rate(exchange_matching_orders_total[$__rate_interval]))", "{{outcome}}"]] }),
        line({ title: "Trades", description: "Trades per second by symbol.", unit: "ops", queries: [["sum by (symbol) (rate(exchange_matching_trades_total[$__rate_interval]))", "{{symbol}}"]] }),
        line({ title: "PlaceOrder latency at order", description: "p50 and p99 of order's PlaceOrder, server side.", unit: "s", queries: [[quantile(0.5, "exchange_rpc_duration_seconds_bucket", '{method="PlaceOrder"}', ""), "p50"], [quantile(0.99, "exchange_rpc_duration_seconds_bucket", '{method="PlaceOrder"}', ""), "p99"]] }),
        line({ title: "Settlement lag", description: "From a trade in matching to its settlement in wallet and storage in order.", unit: "s", queries: [[quantile(0.5, "exchange_settlement_lag_seconds_bucket", "", ""), "p50"], [quantile(0.99, "exchange_settlement_lag_seconds_bucket", "", ""), "p99"]] }),
      ],
    },
    {
      title: "Processes",
      panels: [
        line({ title: "Resident memory", description: "Per pod.", unit: "bytes", queries: [["process_resident_memory_bytes", "{{pod}}"]] }),
        line({ title: "Event loop lag p99", description: "Per pod: a busy or blocked Node event loop delays every call on it.", unit: "s", queries: [["nodejs_eventloop_lag_p99_seconds", "{{pod}}"]] }),
      ],
    },
  ],
});

const orderPath = dashboard({
  uid: "exchange-order-path",
  title: "Exchange / Order path",
  description: "Where an order's time goes: edge, order, wallet's hold, matching's journal, settlement.",
  rows: [
    {
      title: "Latency along the path (p99)",
      panels: [
        line({ title: "Edge: POST /api/v3/order", description: "The REST call as the client sees it, minus the network.", unit: "s", queries: [[quantile(0.99, "exchange_edge_http_request_duration_seconds_bucket", '{route="/api/v3/order",method="POST"}', ""), "p99"], [quantile(0.5, "exchange_edge_http_request_duration_seconds_bucket", '{route="/api/v3/order",method="POST"}', ""), "p50"]] }),
        line({ title: "Order, wallet and matching RPCs", description: "p99 of each RPC on the order path, server side.", unit: "s", queries: [[quantile(0.99, "exchange_rpc_duration_seconds_bucket", '{method=~"PlaceOrder|CreateHolds?|SubmitBatch|SettleTrades|VoidHold"}', "method"), "{{method}}"]] }),
        line({ title: "Journal append and fsync", description: "matching: a group of commands made durable (append) and the file log's fdatasync within it.", unit: "s", queries: [[quantile(0.99, "exchange_matching_journal_append_duration_seconds_bucket", "", "journal"), "append p99 ({{journal}})"], [quantile(0.99, "exchange_matching_journal_fsync_duration_seconds_bucket", "", ""), "fsync p99"]] }),
        line({ title: "Settlement lag", description: "Trade in matching to settled in wallet and stored in order, per symbol.", unit: "s", queries: [[quantile(0.99, "exchange_settlement_lag_seconds_bucket", "", "symbol"), "p99 {{symbol}}"]] }),
      ],
    },
    {
      title: "Throughput and refusals",
      panels: [
        line({ title: "Commands journaled", description: "Commands per second written to the command log, and groups per second (their ratio is the group-commit batch size).", unit: "ops", queries: [["sum(rate(exchange_matching_journal_records_total[$__rate_interval]))", "commands"], ["sum(rate(exchange_matching_journal_append_duration_seconds_count[$__rate_interval]))", "groups"]] }),
        line({ title: "Rate-limit refusals", description: "Requests and orders the edge answered 429 (-1003 weight, -1015 new orders) or 418 (banned), by limit.", unit: "ops", queries: [["sum by (limit) (rate(exchange_edge_rate_limit_refusals_total[$__rate_interval]))", "{{limit}}"]] }),
        line({ title: "RPC server errors", description: "Failed RPCs per second by service and gRPC code (server-side codes only).", unit: "ops", queries: [[`sum by (service, code) (rate(exchange_rpc_duration_seconds_count{${SERVER_ERRORS}}[$__rate_interval]))`, "{{service}} {{code}}"]] }),
      ],
    },
  ],
});

const matching = dashboard({
  uid: "exchange-matching",
  title: "Exchange / Matching",
  description: "Matching per symbol: orders and trades, sequences, journal durability, and who is behind.",
  symbolVariable: true,
  rows: [
    {
      title: "Books",
      panels: [
        line({ title: "Orders by outcome", description: "Per symbol and outcome.", unit: "ops", queries: [[`sum by (symbol, outcome) (rate(exchange_matching_orders_total${SYMBOL}[$__rate_interval]))`, "{{symbol}} {{outcome}}"]] }),
        line({ title: "Trades", description: "Per symbol.", unit: "ops", queries: [[`sum by (symbol) (rate(exchange_matching_trades_total${SYMBOL}[$__rate_interval]))`, "{{symbol}}"]] }),
        line({ title: "Sequence", description: "The last sequence journaled and applied: it must only rise, and one pod only may report a symbol.", unit: "none", queries: [[`exchange_matching_sequence${SYMBOL}`, "{{symbol}} ({{pod}})"]] }),
        line({ title: "Consumer lag", description: "Events each consumer group has not applied yet (order: settlement and order state; marketdata: public data).", unit: "none", queries: [[`exchange:event_consumer_lag:sequences${SYMBOL}`, "{{group}} {{symbol}}"]] }),
      ],
    },
    {
      title: "Journal",
      panels: [
        line({ title: "Append latency", description: "p50/p99 of a group's append until durable.", unit: "s", queries: [[quantile(0.5, "exchange_matching_journal_append_duration_seconds_bucket", "", "journal"), "p50 {{journal}}"], [quantile(0.99, "exchange_matching_journal_append_duration_seconds_bucket", "", "journal"), "p99 {{journal}}"]] }),
        line({ title: "fsync latency", description: "p50/p99 of the file command log's fdatasync (embedded mode).", unit: "s", queries: [[quantile(0.5, "exchange_matching_journal_fsync_duration_seconds_bucket", "", ""), "p50"], [quantile(0.99, "exchange_matching_journal_fsync_duration_seconds_bucket", "", ""), "p99"]] }),
      ],
    },
  ],
});

const wallet = dashboard({
  uid: "exchange-wallet",
  title: "Exchange / Wallet",
  description: "Money: the conservation audit, withdrawals waiting, and wallet's RPCs.",
  rows: [
    {
      title: "Audit",
      panels: [
        single({ title: "Money conserved", description: "exchange_wallet_conservation_ok of the worst replica.", unit: "none", width: 6, queries: [["min(exchange_wallet_conservation_ok)", "conserved"]], steps: [[null, "red"], [1, "green"]] }),
        single({ title: "Unbalanced assets", description: "Assets off in two audits in a row.", unit: "none", width: 6, queries: [["max(exchange_wallet_conservation_unbalanced_assets)", "assets"]], steps: [[null, "green"], [1, "red"]] }),
        single({ title: "Negative balances", description: "Balance rows below zero (the store should make this impossible).", unit: "none", width: 6, queries: [["max(exchange_wallet_negative_balances)", "rows"]], steps: [[null, "green"], [1, "red"]] }),
        single({ title: "Last audit", description: "Seconds since an audit last finished.", unit: "s", width: 6, queries: [["time() - max(exchange_wallet_audit_last_success_timestamp_seconds)", "age"]], steps: [[null, "green"], [300, "orange"], [600, "red"]] }),
        line({ title: "Audit duration", description: "How long one audit takes (a full read of the balances).", unit: "s", queries: [["exchange_wallet_audit_duration_seconds", "{{pod}}"]] }),
        line({ title: "Audit failures", description: "Audits that could not read the store, per second.", unit: "ops", queries: [["sum(rate(exchange_wallet_audit_failures_total[$__rate_interval]))", "failures"]] }),
      ],
    },
    {
      title: "Withdrawals",
      panels: [
        line({ title: "Waiting", description: "Awaiting an operator's approval, and approved but not yet completed on the chain.", unit: "none", queries: [["max(exchange_wallet_withdrawals_awaiting_approval)", "awaiting approval"], ["max(exchange_wallet_withdrawals_pending)", "pending on chain"]] }),
        line({ title: "Oldest awaiting approval", description: "Age of the oldest withdrawal waiting for approval.", unit: "s", queries: [["max(exchange_wallet_withdrawal_oldest_awaiting_approval_seconds)", "oldest"]] }),
      ],
    },
    {
      title: "RPCs",
      panels: [
        line({ title: "Wallet RPC latency p99", description: "By method.", unit: "s", queries: [[quantile(0.99, "exchange_rpc_duration_seconds_bucket", '{service="exchange.wallet.v1.WalletService"}', "method"), "{{method}}"]] }),
        line({ title: "Wallet RPCs", description: "Calls per second by method and code.", unit: "ops", queries: [['sum by (method, code) (rate(exchange_rpc_duration_seconds_count{service="exchange.wallet.v1.WalletService"}[$__rate_interval]))', "{{method}} {{code}}"]] }),
      ],
    },
  ],
});

const edge = dashboard({
  uid: "exchange-edge",
  title: "Exchange / Edge",
  description: "The public door: REST traffic, latency, errors and rate limits.",
  rows: [
    {
      title: "REST",
      panels: [
        line({ title: "Requests by route", description: "Per second, by route and HTTP status.", unit: "reqps", queries: [["sum by (route, status) (rate(exchange_edge_http_request_duration_seconds_count[$__rate_interval]))", "{{route}} {{status}}"]] }),
        line({ title: "Latency p99 by route", description: "Server side, from the request to the answer written.", unit: "s", queries: [[quantile(0.99, "exchange_edge_http_request_duration_seconds_bucket", "", "route"), "{{route}}"]] }),
        line({ title: "5xx share", description: "Share of REST answers that are 5xx.", unit: "percentunit", queries: [["exchange:edge_http_5xx:ratio_5m", "5xx"]] }),
        line({ title: "Rate-limit refusals", description: "Answered 429 (-1003 weight, -1015 new orders) or 418 (banned), by limit.", unit: "ops", queries: [["sum by (limit) (rate(exchange_edge_rate_limit_refusals_total[$__rate_interval]))", "{{limit}}"]] }),
      ],
    },
  ],
});

/** Every dashboard by file name (helm/exchange/files/dashboards/<name>.json). */
export const DASHBOARDS: Readonly<Record<string, DashboardBuilder>> = {
  "exchange-overview": overview,
  "exchange-order-path": orderPath,
  "exchange-matching": matching,
  "exchange-wallet": wallet,
  "exchange-edge": edge,
};
