import { afterAll } from "vitest";
import { OpenSearchIndex } from "#kit/adapters/search-index.opensearch.js";
import { searchIndexContract } from "#kit/ports/search-index.contract.js";
import { engines, run } from "./env.js";

let n = 0;
searchIndexContract("opensearch", () => ({
  open: async () => new OpenSearchIndex({ node: engines.opensearchUrl, index: `ports-test-${run}-${n++}`, refresh: "wait_for" }),
}));

// The shared OpenSearch keeps nothing of this run: each test's index and its template.
afterAll(async () => {
  for (let i = 0; i < n; i++) {
    const name = `ports-test-${run}-${i}`;
    await fetch(`${engines.opensearchUrl}/${name}`, { method: "DELETE" }).catch(() => undefined);
    await fetch(`${engines.opensearchUrl}/_index_template/${name}-template`, { method: "DELETE" }).catch(() => undefined);
  }
});
