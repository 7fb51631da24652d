import { Kafka, logLevel } from "kafkajs";
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
  dropTopic: async (topic) => {
    const admin = new Kafka({ clientId: "backbone-test-cleanup", brokers: engines.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  },
});
