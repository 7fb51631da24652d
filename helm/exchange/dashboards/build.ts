// Writes the dashboards as JSON for the chart (`npm run dashboards`); with --check, fails if a committed file differs
// from what the code builds (CI).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARDS } from "./dashboards.js";

const out = join(import.meta.dirname, "../files/dashboards");
const check = process.argv.includes("--check");
const stale: string[] = [];
mkdirSync(out, { recursive: true });
for (const [name, builder] of Object.entries(DASHBOARDS)) {
  const file = join(out, `${name}.json`);
  const json = `${JSON.stringify(builder.build(), null, 2)}\n`;
  if (check) {
    let current = "";
    try {
      current = readFileSync(file, "utf8");
    } catch {
      // missing: stale
    }
    if (current !== json) stale.push(file);
  } else {
    writeFileSync(file, json);
    process.stdout.write(`dashboards: wrote ${file}\n`);
  }
}
if (stale.length > 0) {
  process.stderr.write(`dashboards: not what helm/exchange/dashboards builds (run npm run dashboards and commit):\n  ${stale.join("\n  ")}\n`);
  process.exit(1);
}
