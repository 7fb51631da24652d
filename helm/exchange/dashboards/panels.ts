// Building blocks of the exchange's dashboards (@grafana/grafana-foundation-sdk builders; Grafana itself is not a
// dependency). Every dashboard takes its Prometheus from the `datasource` variable, so it works wherever the
// ConfigMap lands.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import { DashboardBuilder, DashboardCursorSync, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode, VariableRefresh, VariableSort, type Panel, type RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

/** One query: a PromQL expression and its legend. */
export type Query = readonly [expr: string, legend: string];

function target(query: Query, index: number) {
  return new DataqueryBuilder().expr(query[0]).legendFormat(query[1]).refId(String.fromCharCode(65 + index)).datasource(DATASOURCE);
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  /** Columns out of 24 (default 12). */
  readonly width?: number;
}

/** A line graph. */
export function graph(spec: PanelSpec): TimeseriesPanelBuilder {
  const panel = new TimeseriesPanelBuilder().title(spec.title).description(spec.description).unit(spec.unit).datasource(DATASOURCE);
  spec.queries.forEach((query, index) => panel.withTarget(target(query, index)));
  return panel;
}

/** One number, coloured by thresholds: [value, colour] steps from the lowest. */
export function stat(spec: PanelSpec & { readonly steps: readonly (readonly [number | null, string])[] }): StatPanelBuilder {
  const panel = new StatPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(DATASOURCE)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(spec.steps.map(([value, color]) => ({ value, color }))));
  spec.queries.forEach((query, index) => panel.withTarget(target(query, index).instant()));
  return panel;
}

type Placed = cog.Builder<Panel> & { gridPos(position: { x: number; y: number; w: number; h: number }): unknown };

/** A dashboard with the datasource (and optionally symbol) variables and panels laid out in rows, left to right. */
export function dashboard(options: {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly symbolVariable?: boolean;
  readonly rows: readonly { readonly title: string; readonly panels: readonly (readonly [Placed, PanelSpec])[] }[];
}): DashboardBuilder {
  const builder = new DashboardBuilder(options.title)
    .uid(options.uid)
    .description(options.description)
    .tags(["exchange"])
    .refresh("30s")
    .time({ from: "now-3h", to: "now" })
    .timezone("utc")
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"));
  if (options.symbolVariable) {
    builder.withVariable(
      new QueryVariableBuilder("symbol")
        .label("Symbol")
        .datasource(DATASOURCE)
        .query("label_values(exchange_matching_sequence, symbol)")
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".*"),
    );
  }
  let y = 0;
  for (const row of options.rows) {
    builder.withRow(new RowBuilder(row.title).gridPos({ x: 0, y, w: 24, h: 1 }) as unknown as cog.Builder<RowPanel>);
    y += 1;
    let x = 0;
    let height = 0;
    for (const [panel, spec] of row.panels) {
      const w = spec.width ?? 12;
      const h = panel instanceof StatPanelBuilder ? 4 : 8;
      if (x + w > 24) {
        x = 0;
        y += height;
        height = 0;
      }
      panel.gridPos({ x, y, w, h });
      builder.withPanel(panel);
      x += w;
      height = Math.max(height, h);
    }
    y += height;
  }
  return builder;
}

/** A panel and its spec, for dashboard()'s rows. */
export const panelOf = (make: (spec: PanelSpec) => Placed) => (spec: PanelSpec) => [make(spec), spec] as const;
export const line = panelOf(graph);
export const single = (spec: PanelSpec & { readonly steps: readonly (readonly [number | null, string])[] }) => [stat(spec), spec] as const;

/** p-quantile of a histogram's buckets, summed by `by` (plus le). */
export function quantile(q: number, bucket: string, selector: string, by: string): string {
  return `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ""}le) (rate(${bucket}${selector}[$__rate_interval])))`;
}
