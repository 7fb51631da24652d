import { MemoryCache } from "#kit/adapters/cache.memory.js";
import { cacheContract } from "#kit/ports/cache.contract.js";

cacheContract("memory", () => ({ open: async () => new MemoryCache({ sweepMs: 50 }) }));
