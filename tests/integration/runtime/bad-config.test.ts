import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { engines } from "../../support/engines.js";
import { freePort } from "../../support/free-port.js";

// The real entry point (`node --import tsx services/main.ts`, as `npm start` and the chart run it)
// given bad configuration: it must end non-zero with exactly one structured line naming the
// setting, and no stack trace. Each case gets a clean environment (nothing inherited but PATH).

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
let dataDir: string;
let closedPort: number;


/** Starts services/main.ts with `env` and resolves with its exit code and every line it wrote (stdout and stderr). */
async function runMain(env: Record<string, string>): Promise<{ code: number | null; lines: string[]; output: string }> {
  // A data dir each: cases run side by side, and two processes migrating one SQLite file would race.
  const ownDataDir = mkdtempSync(join(dataDir, "run-"));
  const child = spawn(process.execPath, ["--import", "tsx", "services/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", EXCHANGE_DATA_DIR: ownDataDir, EXCHANGE_GRPC_PORT: "0", EXCHANGE_HTTP_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // A process that starts after all would run forever: stop it, and the assertions say so.
  const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
  clearTimeout(guard);
  return { code, lines: output.split("\n").filter((line) => line.trim() !== ""), output };
}

async function expectOneLine(env: Record<string, string>, setting: string, message: string | RegExp) {
  const { code, lines, output } = await runMain(env);
  expect(code, output).toBe(1);
  expect(lines, output).toHaveLength(1);
  expect(output).not.toMatch(/^\s+at /m); // no stack frames
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(line).toMatchObject({ level: 60, setting, msg: typeof message === "string" ? `cannot start: ${message}` : expect.stringMatching(message) });
  expect(Object.keys(line).sort()).toEqual(["level", "msg", "pid", "setting", "time"]);
  return line;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "bad-config-"));
  closedPort = await freePort();
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe.concurrent("a process with bad configuration ends with one line naming the setting", () => {
  it("an unknown EXCHANGE_SERVICE", async () => {
    await expectOneLine({ EXCHANGE_SERVICE: "ordr" }, "EXCHANGE_SERVICE", 'EXCHANGE_SERVICE names an unknown service "ordr"; one of: all, order, marketdata, matching, wallet, auth, notifier, edge');
  });

  it("order without WALLET_ADDR (wallet runs elsewhere, nobody said where)", async () => {
    await expectOneLine({ EXCHANGE_SERVICE: "order", MATCHING_ADDR: "http://matching:8080" }, "WALLET_ADDR", "WALLET_ADDR is not set and wallet does not run in this process");
  });

  it("order with a WALLET_ADDR that is not a URL", async () => {
    await expectOneLine({ EXCHANGE_SERVICE: "order", MATCHING_ADDR: "http://matching:8080", WALLET_ADDR: "wallet:8080" }, "WALLET_ADDR", 'WALLET_ADDR must be an http:// or https:// URL (e.g. http://wallet:8080), got "wallet:8080"');
  });

  it("order with an ORDER_DATABASE_URL where no PostgreSQL listens, its password not printed", async () => {
    const url = `postgres://exchange:s3cret-pw@127.0.0.1:${closedPort}/exchange`;
    const line = await expectOneLine(
      { EXCHANGE_SERVICE: "order", MATCHING_ADDR: "http://matching:8080", WALLET_ADDR: "http://wallet:8080", ORDER_DATABASE_URL: url },
      "ORDER_DATABASE_URL",
      `ORDER_DATABASE_URL: cannot connect to PostgreSQL at postgres://exchange:***@127.0.0.1:${closedPort}/exchange: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
    expect(JSON.stringify(line)).not.toContain("s3cret");
  });

  it("order with an ORDER_DATABASE_URL of no supported kind", async () => {
    await expectOneLine(
      { EXCHANGE_SERVICE: "order", MATCHING_ADDR: "http://matching:8080", WALLET_ADDR: "http://wallet:8080", ORDER_DATABASE_URL: "mysql://root:pw@db/exchange" },
      "ORDER_DATABASE_URL",
      'ORDER_DATABASE_URL: unsupported database URL "mysql://root:***@db/exchange" (use sqlite:<file> or postgres://...)',
    );
  });

  it("matching with its command log on Kafka brokers that do not answer", async () => {
    await expectOneLine(
      { EXCHANGE_SERVICE: "matching", MATCHING_JOURNAL: "kafka", EXCHANGE_KAFKA_BROKERS: `127.0.0.1:${closedPort}` },
      "EXCHANGE_KAFKA_BROKERS",
      `EXCHANGE_KAFKA_BROKERS: cannot connect to Kafka at 127.0.0.1:${closedPort}: Connection error: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it("wallet with its ledger on a DynamoDB endpoint that does not answer", async () => {
    const endpoint = `http://127.0.0.1:${closedPort}`;
    await expectOneLine(
      // Node 20 draws the AWS SDK's support warning (a line of its own, not this process's).
      { EXCHANGE_SERVICE: "wallet", WALLET_LEDGER_URL: "dynamodb:bad-config", EXCHANGE_AWS_ENDPOINT: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      "EXCHANGE_AWS_ENDPOINT",
      `EXCHANGE_AWS_ENDPOINT: cannot connect to DynamoDB at ${endpoint}: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it("wallet with its ledger on DynamoDB and its history projection on a PostgreSQL that does not answer", async () => {
    await expectOneLine(
      {
        EXCHANGE_SERVICE: "wallet",
        WALLET_LEDGER_URL: "dynamodb:bad-config-projection",
        EXCHANGE_AWS_ENDPOINT: engines.awsEndpoint,
        WALLET_PROJECTION_PG_URL: `postgres://exchange:pw@127.0.0.1:${closedPort}/history`,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      "WALLET_PROJECTION_PG_URL",
      `WALLET_PROJECTION_PG_URL: cannot connect to PostgreSQL at postgres://exchange:***@127.0.0.1:${closedPort}/history: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it("order with its user-data stream on Kafka brokers that do not answer", async () => {
    await expectOneLine(
      { EXCHANGE_SERVICE: "order", MATCHING_ADDR: "http://matching:8080", WALLET_ADDR: "http://wallet:8080", ORDER_UPDATES: "kafka", EXCHANGE_KAFKA_BROKERS: `127.0.0.1:${closedPort}` },
      "EXCHANGE_KAFKA_BROKERS",
      `EXCHANGE_KAFKA_BROKERS: cannot connect to Kafka at 127.0.0.1:${closedPort}: Connection error: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it("order alone asked to read matching's events from the file event log, which only its own process writes", async () => {
    await expectOneLine(
      { EXCHANGE_SERVICE: "order", MATCHING_ADDR: "http://matching:8080", WALLET_ADDR: "http://wallet:8080", MATCHING_EVENTS: "event-log" },
      "MATCHING_EVENTS",
      "MATCHING_EVENTS=event-log on the file event log needs matching in this process too (the data dir's event-log/ is this process's own); use EXCHANGE_EVENT_LOG=kafka, or MATCHING_EVENTS=stream",
    );
  });

  it("marketdata without ORDER_ADDR, and with a MARKETDATA_DATABASE_URL where no PostgreSQL listens", async () => {
    await expectOneLine({ EXCHANGE_SERVICE: "marketdata", MATCHING_ADDR: "http://matching:8080" }, "ORDER_ADDR", "ORDER_ADDR is not set and order does not run in this process");
    await expectOneLine(
      { EXCHANGE_SERVICE: "marketdata", MATCHING_ADDR: "http://matching:8080", ORDER_ADDR: "http://order:8080", MARKETDATA_DATABASE_URL: `postgres://exchange:pw@127.0.0.1:${closedPort}/md` },
      "MARKETDATA_DATABASE_URL",
      `MARKETDATA_DATABASE_URL: cannot connect to PostgreSQL at postgres://exchange:***@127.0.0.1:${closedPort}/md: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it("auth with its database, its replay cache or its master key's Secrets Manager where nothing answers", async () => {
    await expectOneLine(
      { EXCHANGE_SERVICE: "auth", AUTH_DATABASE_URL: `postgres://exchange:pw@127.0.0.1:${closedPort}/auth` },
      "AUTH_DATABASE_URL",
      `AUTH_DATABASE_URL: cannot connect to PostgreSQL at postgres://exchange:***@127.0.0.1:${closedPort}/auth: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
    await expectOneLine({ EXCHANGE_SERVICE: "auth", AUTH_REPLAY_CACHE_URL: `redis://127.0.0.1:${closedPort}` }, "AUTH_REPLAY_CACHE_URL", `AUTH_REPLAY_CACHE_URL: cannot connect to Redis at redis://127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}`);
    const endpoint = `http://127.0.0.1:${closedPort}`;
    await expectOneLine(
      { EXCHANGE_SERVICE: "auth", AUTH_SECRETS: "aws", EXCHANGE_AWS_ENDPOINT: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      "EXCHANGE_AWS_ENDPOINT",
      `EXCHANGE_AWS_ENDPOINT: cannot connect to Secrets Manager at ${endpoint}: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });

  it("the edge with its listen keys and rate limits on a Redis that does not answer (one setting or both)", async () => {
    const peers = { ORDER_ADDR: "http://order:8080", WALLET_ADDR: "http://wallet:8080", AUTH_ADDR: "http://auth:8080", MATCHING_ADDR: "http://matching:8080", MARKETDATA_ADDR: "http://marketdata:8080" };
    const redis = `redis://127.0.0.1:${closedPort}`;
    const reason = `cannot connect to Redis at ${redis}: connect ECONNREFUSED 127.0.0.1:${closedPort}`;
    await expectOneLine({ EXCHANGE_SERVICE: "edge", ...peers, EDGE_RATE_LIMIT_REDIS_URL: redis }, "EDGE_RATE_LIMIT_REDIS_URL", `EDGE_RATE_LIMIT_REDIS_URL: ${reason}`);
    const both = "EDGE_LISTEN_KEY_REDIS_URL, EDGE_RATE_LIMIT_REDIS_URL";
    await expectOneLine({ EXCHANGE_SERVICE: "edge", ...peers, EDGE_LISTEN_KEY_REDIS_URL: redis, EDGE_RATE_LIMIT_REDIS_URL: redis }, both, `${both}: ${reason}`);
  });

  it("the edge without MARKETDATA_ADDR, before it serves", async () => {
    const peers = { ORDER_ADDR: "http://order:8080", WALLET_ADDR: "http://wallet:8080", AUTH_ADDR: "http://auth:8080", MATCHING_ADDR: "http://matching:8080" };
    await expectOneLine({ EXCHANGE_SERVICE: "edge", ...peers }, "MARKETDATA_ADDR", "MARKETDATA_ADDR is not set and marketdata does not run in this process");
  });

  it("a port that is not a number", async () => {
    await expectOneLine({ EXCHANGE_HTTP_PORT: "eighty" }, "EXCHANGE_HTTP_PORT", 'EXCHANGE_HTTP_PORT must be an integer, got "eighty"');
  });
});
