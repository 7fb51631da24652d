import { OpenSearchIndex } from "#kit/adapters/search-index.opensearch.js";
import { searchIndexContract } from "#kit/ports/search-index.contract.js";
import { engines, run } from "./env.js";

let n = 0;
searchIndexContract("opensearch", () => ({
  open: async () => new OpenSearchIndex({ node: engines.opensearchUrl, index: `ports-test-${run}-${n++}`, refresh: "wait_for" }),
}));
