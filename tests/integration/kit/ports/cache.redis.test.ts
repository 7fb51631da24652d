import { RedisCache } from "#kit/adapters/cache.redis.js";
import { cacheContract } from "#kit/ports/cache.contract.js";
import { engines, run } from "./env.js";

let n = 0;
cacheContract("redis", () => ({ open: async () => new RedisCache({ url: engines.redisUrl, keyPrefix: `ports-test:${run}:${n++}:` }) }));
