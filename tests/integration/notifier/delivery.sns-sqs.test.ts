import { SnsSqsNotifier } from "#kit/adapters/notifier.sns-sqs.js";
import { engines, run } from "../kit/ports/env.js";
import { notificationDeliverySuite } from "./delivery.suite.js";

let n = 0;
notificationDeliverySuite("sns-sqs (moto)", () => ({
  notifier: async () => new SnsSqsNotifier({ endpoint: engines.awsEndpoint, region: engines.awsRegion, namePrefix: `notifier-test-${run}-` }),
  name: (base) => `${base}-${n++}`,
}));
