import { afterAll, beforeAll, describe } from "vitest";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { authRpcScenarios } from "../../integration/auth/auth-rpc.scenarios.js";
import { T0, testAuth } from "./support/auth-harness.js";

// The router in process (same interceptors as the network server, no sockets).
let module: AuthModule;

beforeAll(async () => {
  ({ module } = await testAuth());
});
afterAll(async () => {
  await module.stop?.();
});

describe("auth.v1 in process", () => {
  authRpcScenarios({
    transport: () => inProcessTransport(module.routes),
    setRoles: (userId, roles) => module.auth.accounts.setRoles(userId, roles),
    now: () => T0,
  });
});
