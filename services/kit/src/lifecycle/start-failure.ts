import { configErrorOf } from "../config/config-error.js";
import type { Env } from "../config/env.js";
import type { Logger } from "../telemetry/logger.js";

/**
 * What an entry point does with an error raised while starting. Bad configuration (a ConfigError,
 * or a value the code opening it refused: configErrorOf) is one fatal log line naming the setting,
 * without a stack (the line says all there is to fix), then exit code 1. Anything else is a bug:
 * it is returned, for the caller to rethrow with its stack.
 */
export function exitOnConfigError(logger: Logger, error: unknown, env: Env): unknown {
  const config = configErrorOf(error, env);
  if (!config) return error;
  logger.fatal({ setting: config.setting }, `cannot start: ${config.message}`);
  process.exit(1);
}
