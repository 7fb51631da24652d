// Ports that several services of one process share: in embedded mode auth, order, wallet and the notifier must
// publish to and consume from the same embedded notifier, so it is made once per process and data dir and closed
// when its last user stops.
import { envInt, type Env } from "#kit/config/env.js";
import { openEventLog, openNotifier, readPortsConfig, type PortsConfig } from "#kit/adapters/ports.config.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import type { Notifier } from "#kit/ports/notifier.port.js";

interface Shared {
  readonly notifier: Notifier;
  users: number;
}

const notifiers = new Map<string, Shared>();

export interface NotifierLease {
  readonly notifier: Notifier;
  readonly config: PortsConfig["notifier"];
  release(): Promise<void>;
}

/** The notifier this process's services share (EXCHANGE_NOTIFIER: memory by default, sns-sqs). */
export function acquireNotifier(env: Env, dataDir: string): NotifierLease {
  const ports = readPortsConfig({ ...env, EXCHANGE_DATA_DIR: dataDir });
  const key = `${ports.notifier.engine}|${ports.notifier.endpoint ?? ""}|${ports.notifier.namePrefix}|${dataDir}`;
  let shared = notifiers.get(key);
  if (!shared) notifiers.set(key, (shared = { notifier: openNotifier(ports), users: 0 }));
  shared.users++;
  let released = false;
  return {
    notifier: shared.notifier,
    config: ports.notifier,
    release: async () => {
      if (released) return;
      released = true;
      if (--shared.users === 0) {
        notifiers.delete(key);
        await shared.notifier.close();
      }
    },
  };
}

interface SharedLog {
  readonly log: EventLog;
  users: number;
}

const eventLogs = new Map<string, SharedLog>();

export interface EventLogLease {
  readonly log: EventLog;
  readonly config: PortsConfig["eventLog"];
  /** A topic's partitions as configured (EXCHANGE_TOPICS, else EXCHANGE_TOPIC_PARTITIONS), for ensureTopics. */
  partitionsOf(topic: string): number;
  release(): Promise<void>;
}

/**
 * The event log this process's services share (EXCHANGE_EVENT_LOG: the data dir's event-log/ files, or Kafka): one
 * process owns a file log's directory, so matching's publisher and the consumers of one embedded process use one.
 */
export function acquireEventLog(env: Env, dataDir: string): EventLogLease {
  const ports = readPortsConfig({ ...env, EXCHANGE_DATA_DIR: dataDir });
  const key = `${ports.eventLog.engine}|${ports.eventLog.brokers.join(",")}|${ports.eventLog.dir}`;
  let shared = eventLogs.get(key);
  if (!shared) eventLogs.set(key, (shared = { log: openEventLog(ports), users: 0 }));
  shared.users++;
  let released = false;
  return {
    log: shared.log,
    config: ports.eventLog,
    partitionsOf: (topic) => ports.topics.find((t) => t.name === topic)?.partitions ?? envInt(env, "EXCHANGE_TOPIC_PARTITIONS", 12),
    release: async () => {
      if (released) return;
      released = true;
      if (--shared.users === 0) {
        eventLogs.delete(key);
        await shared.log.close();
      }
    },
  };
}
