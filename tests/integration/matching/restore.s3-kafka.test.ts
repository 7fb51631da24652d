import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { S3ObjectStore } from "#kit/adapters/object-store.s3.js";
import { KafkaJournal } from "../../../services/matching/src/adapters/journal.kafka.js";
import { SymbolBooks } from "../../../services/matching/src/symbol-books.js";
import { engines } from "../../support/engines.js";
import { seededMessages } from "../../unit/matching/support/messages.js";

// A matching node on the real engines (Kafka command log, S3 archive on moto) is killed with SIGKILL mid-stream and
// its disk deleted; a brand-new node restores the symbol from S3's snapshots and account numbers plus the Kafka
// tail, and reaches the sequence and state hash of an uninterrupted run over the same commands.

const SYMBOL = "RSTUSDT";
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "books-child.ts");
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), name));
  dirs.push(dir);
  return dir;
};

function runAndKill(args: string[], killAfter: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let maxAck = 0;
    let buf = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const m = /^ACK (\d+)$/.exec(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m) maxAck = Math.max(maxAck, Number(m[1]));
        if (maxAck >= killAfter) p.kill("SIGKILL");
      }
    });
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve(maxAck) : reject(new Error(`child exited ${code} before the kill: ${err}`))));
  });
}

describe("matching restores a lost node from S3 and Kafka", () => {
  it("a new node with an empty disk reaches the killed node's state hash", async () => {
    const run = `${Date.now()}-${process.pid}`;
    const topic = `exchange.matching.commands.restore-${run}`;
    const bucket = `matching-restore-${run}`;
    const objects = new S3ObjectStore({ bucket, endpoint: engines.awsEndpoint, region: engines.awsRegion });
    await objects.ensure();
    const count = 1_500;
    const nodeA = tempDir("matching-node-a-");
    const maxAck = await runAndKill([nodeA, topic, bucket, "99", String(count), "200"], 900);
    expect(maxAck).toBeGreaterThanOrEqual(900);
    rmSync(nodeA, { recursive: true, force: true }); // the node and its disk are gone

    const archived = (await objects.list(`matching/${SYMBOL}/snapshots/`)).items;
    expect(archived.length).toBeGreaterThan(0);
    const nodeB = new SymbolBooks({
      dataDir: tempDir("matching-node-b-"),
      journal: (symbol) => new KafkaJournal({ brokers: engines.kafkaBrokers, symbol, topic, partitions: 2 }),
      archive: { objects },
    });
    const restored = await nodeB.state(SYMBOL);
    // nothing acknowledged is lost; what was journaled beyond the last ack is there too
    expect(restored.sequence).toBeGreaterThanOrEqual(maxAck);

    // an uninterrupted run over the same commands, on its own disk and file journal
    const reference = new SymbolBooks({ dataDir: tempDir("matching-reference-") });
    const messages = seededMessages(99, count, SYMBOL).slice(0, restored.sequence);
    for (let i = 0; i < messages.length; i += 10) await reference.submitBatch(SYMBOL, messages.slice(i, i + 10));
    expect(restored).toEqual(await reference.state(SYMBOL));

    // the restored node keeps going from there, and names accounts as the killed one did
    const next = seededMessages(99, count, SYMBOL).slice(restored.sequence, restored.sequence + 10);
    const [mine, theirs] = [await nodeB.submitBatch(SYMBOL, next), await reference.submitBatch(SYMBOL, next)];
    expect(mine).toEqual(theirs);
    await Promise.all([nodeB.close(), reference.close()]);
    await objects.close();
  }, 120_000);
});
