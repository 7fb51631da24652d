import { KafkaEventLog } from "#kit/adapters/event-log.kafka.js";
import { eventLogContract } from "#kit/ports/event-log.contract.js";
import { engines, run } from "./env.js";

let n = 0;
eventLogContract("kafka", () => ({
  open: async () =>
    new KafkaEventLog({
      brokers: engines.kafkaBrokers,
      clientId: `ports-test-${run}`,
      sessionTimeoutMs: 6_000,
      rebalanceTimeoutMs: 3_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 50,
    }),
  name: (base) => `ports-${run}-${base}-${n++}`,
}));
