import { pino, type Logger } from "pino";

export type { Logger };

/** One JSON logger per process; each service takes a child with its name. */
export function createLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
