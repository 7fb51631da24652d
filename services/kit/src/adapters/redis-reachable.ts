import { Redis } from "ioredis";
import { unreachable } from "../config/config-error.js";

/**
 * A start-up check: connects to `url` once and PINGs it. A Redis that does not answer is the
 * setting's fault (a SettingValueError naming the value, which start-up turns into one line naming
 * the setting), as for every other engine; once started, a service rides out Redis outages its own way.
 */
export async function requireRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // ioredis rejects with "Connection is closed."; the socket's own error says why.
  let cause: unknown;
  redis.on("error", (error: unknown) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw unreachable("Redis", url, cause ?? error);
  } finally {
    redis.disconnect();
  }
}
