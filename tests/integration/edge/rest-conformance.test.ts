import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";

// Places where a black-box run against the embedded edge found the REST door behaving
// unlike Binance: the whole exchange in one process, called over real HTTP as a client would.

let dataDir: string;
let exchange: RunningExchange;
let base: string;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The request went out on a connection an earlier request had used. */
  readonly reusedSocket: boolean;
}

/** One request through `agent` (node:http, as pooled clients such as ccxt's use it); `chunked` sends the body without a length. */
function send(agent: Agent, method: string, path: string, body?: Buffer, chunked = false): Promise<Answer> {
  const headers: Record<string, string> = body ? { "content-type": "application/x-www-form-urlencoded" } : {};
  if (body && !chunked) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8"), reusedSocket: request.reusedSocket }));
      response.on("error", reject);
    });
    request.on("error", reject);
    for (let at = 0; body && chunked && at < body.length; at += 64 * 1024) request.write(body.subarray(at, at + 64 * 1024));
    request.end(chunked ? undefined : body);
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-conformance-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a request body over 64 KiB", () => {
  it("is answered 413 with a JSON error, and the kept-alive connection serves the next request", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send(agent, "GET", "/api/v3/ping")).status).toBe(200);
      for (let round = 0; round < 6; round++) {
        // 65 KiB .. 600 KiB: just over the limit up to several times it.
        const size = 65 * 1024 + round * 107 * 1024;
        const big = await send(agent, "POST", "/api/v3/order", Buffer.from(`symbol=BTCUSDT&pad=${"x".repeat(size)}`));
        expect(big.status).toBe(413);
        expect(big.headers["content-type"]).toMatch(/^application\/json/);
        expect(JSON.parse(big.body)).toEqual({ code: -1130, msg: expect.stringContaining("too large") });
        expect(big.reusedSocket).toBe(true);
        const next = await send(agent, "GET", "/api/v3/ping");
        expect(next).toMatchObject({ status: 200, body: "{}", reusedSocket: true });
      }
    } finally {
      agent.destroy();
    }
  });

  it("past what the edge drains, closes the connection cleanly so the pool opens a new one", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const chunked of [false, true]) {
        const huge = await send(agent, "POST", "/api/v3/order", Buffer.alloc(4 * 1024 * 1024, "x"), chunked);
        expect(huge.status).toBe(413);
        expect(huge.headers.connection).toBe("close");
        expect(JSON.parse(huge.body)).toMatchObject({ code: -1130 });
        const next = await send(agent, "GET", "/api/v3/ping");
        expect(next).toMatchObject({ status: 200, body: "{}", reusedSocket: false });
      }
    } finally {
      agent.destroy();
    }
  });
});
