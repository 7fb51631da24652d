import { pino, type Logger } from "pino";
import { traceFields } from "./tracing.js";

export type { Logger };

/** One JSON logger per process; each service takes a child with its name. */
export function createLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  // trace_id and span_id of the active span on every line, once tracing is on (an empty object until then).
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceFields });
}
