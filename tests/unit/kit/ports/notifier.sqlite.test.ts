import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MemoryCache } from "#kit/adapters/cache.memory.js";
import BetterSqlite3 from "better-sqlite3";
import { SqliteNotifier, VISIBLE_MESSAGES } from "#kit/adapters/notifier.sqlite.js";
import { notifierContract } from "#kit/ports/notifier.contract.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "notifier-sqlite-"));
  dirs.push(d);
  return d;
};

let n = 0;
notifierContract("sqlite", () => ({
  open: async () => new SqliteNotifier({ file: path.join(dir(), "notifier.sqlite") }),
  name: (base) => `${base}-${n++}`,
  seen: async () => new MemoryCache(),
}));

describe("SqliteNotifier across a restart", () => {
  it("still holds what was published and not acked, and what was in flight comes back", async () => {
    const file = path.join(dir(), "notifier.sqlite");
    const first = new SqliteNotifier({ file });
    const q1 = await first.openQueue("t", "q");
    await first.publish("t", { id: "a", type: "x", payload: { n: 1 } });
    await first.publish("t", { id: "b", type: "x", payload: { n: 2 } });
    const [inFlight] = await q1.receive({ max: 1, visibilityTimeoutMs: 60_000 });
    expect(inFlight!.event.id).toBe("a");
    await first.close(); // the process dies with "a" received, unacked
    const second = new SqliteNotifier({ file });
    const q2 = await second.openQueue("t", "q");
    expect((await q2.receive({ max: 10 })).map((m) => m.event.id)).toEqual(["b"]);
    await second.close();
  });
});

describe("SqliteNotifier's receive", () => {
  it("reads a queue's messages in index order, with no sort over the whole backlog", async () => {
    const file = path.join(dir(), "notifier.sqlite");
    const notifier = new SqliteNotifier({ file });
    await notifier.openQueue("t", "q");
    await notifier.close();
    const db = new BetterSqlite3(file, { readonly: true });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${VISIBLE_MESSAGES}`).all("q", 0, 40) as { detail: string }[]).map((row) => row.detail);
    db.close();
    expect(plan.join("\n")).toMatch(/USING INDEX notifier_messages_queue/);
    expect(plan.join("\n")).not.toMatch(/TEMP B-TREE/);
  });

  it("hands out messages in the order they became visible: a redelivery due earlier comes before later publishes", async () => {
    const notifier = new SqliteNotifier({ file: path.join(dir(), "notifier.sqlite") });
    const queue = await notifier.openQueue("t", "q");
    await notifier.publish("t", { id: "a", type: "x", payload: {} });
    const [a] = await queue.receive({ max: 1 });
    await queue.release(a!);
    await notifier.publish("t", { id: "b", type: "x", payload: {} });
    expect((await queue.receive({ max: 10 })).map((m) => m.event.id)).toEqual(["a", "b"]);
    await notifier.close();
  });
});
