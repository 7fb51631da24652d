/** PromQL's own words: functions, aggregations, keywords (never metric names). */
const KEYWORDS = new Set([
  "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "atan2",
  "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group", "inf", "nan",
]);

/**
 * The metric names an expression reads (a word, not a function call, outside label matchers, grouping clauses,
 * ranges, strings and template variables). Recording rule names (with a colon) are included.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\w+/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice(match.index! + word.length).trimStart();
    if (after.startsWith("(") || KEYWORDS.has(word.toLowerCase())) continue;
    // A number's exponent (1e9) or a duration unit would start with a digit before it: skip words glued to digits.
    const before = stripped[match.index! - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(word);
  }
  return [...names];
}

/**
 * The `expr:` of every rule in a Prometheus rules file, and the names its `record:` rules define. Reads the
 * layout the chart's file uses: `expr: <one line>` or `expr: |` and a more indented block.
 */
export function rulesFile(text: string): { readonly exprs: string[]; readonly records: string[] } {
  const lines = text.split("\n");
  const exprs: string[] = [];
  const records: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const record = /^\s*-?\s*record:\s*(\S+)/.exec(lines[i]!);
    if (record) records.push(record[1]!);
    const expr = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
    if (!expr) continue;
    if (expr[2] !== "|" && expr[2] !== ">") {
      exprs.push(expr[2]!.replace(/^"(.*)"$/, "$1"));
      continue;
    }
    const block: string[] = [];
    const indent = expr[1]!.length;
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === "" || lines[i + 1]!.search(/\S/) > indent)) block.push(lines[++i]!.trim());
    exprs.push(block.join(" ").trim());
  }
  return { exprs, records };
}
