import { SqliteSearchIndex } from "#kit/adapters/search-index.sqlite.js";
import { searchIndexContract } from "#kit/ports/search-index.contract.js";

searchIndexContract("sqlite", () => ({ open: async () => new SqliteSearchIndex({ file: ":memory:" }) }));
