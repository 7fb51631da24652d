/**
 * Retries a Kafka metadata call while the broker settles a topic another client just created (its partitions
 * have no leader yet: NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION). Only errors
 * kafkajs marks retriable are retried; anything else, or the last attempt's error, is thrown.
 */
export async function retryingKafka<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !(error as { retriable?: boolean }).retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
