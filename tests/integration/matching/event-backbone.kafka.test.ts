import { KafkaEventLog } from "#kit/adapters/event-log.kafka.js";
import { engines } from "../../support/engines.js";
import { eventBackboneSuite } from "./event-backbone.suite.js";

// Distributed mode: the events topic on the Kafka of tests/infra (each test its own topic and groups).
eventBackboneSuite("Kafka", {
  engine: "kafka",
  open: () =>
    new KafkaEventLog({
      brokers: engines.kafkaBrokers,
      clientId: `backbone-test-${process.pid}`,
      sessionTimeoutMs: 6_000,
      rebalanceTimeoutMs: 3_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 50,
    }),
});
