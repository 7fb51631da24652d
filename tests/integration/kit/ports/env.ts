// Loopback engines started by tests/infra/up.sh; the EXCHANGE_* variables (tests/infra/env.sh) override.
import { randomUUID } from "node:crypto";

export { engines } from "../../../support/engines.js";

/** unique, lowercase, DNS-safe per test run */
export const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
