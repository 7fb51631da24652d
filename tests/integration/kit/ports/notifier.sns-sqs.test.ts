import { RedisCache } from "#kit/adapters/cache.redis.js";
import { SnsSqsNotifier } from "#kit/adapters/notifier.sns-sqs.js";
import { notifierContract } from "#kit/ports/notifier.contract.js";
import { engines, run } from "./env.js";

let n = 0;
notifierContract("sns-sqs", () => ({
  open: async () => new SnsSqsNotifier({ endpoint: engines.awsEndpoint, region: engines.awsRegion, namePrefix: `ports-test-${run}-` }),
  name: (base) => `${base}-${n++}`,
  seen: async () => new RedisCache({ url: engines.redisUrl, keyPrefix: `ports-test:${run}:seen:${n++}:` }),
}));
