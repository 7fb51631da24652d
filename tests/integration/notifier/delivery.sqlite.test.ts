import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteNotifier } from "#kit/adapters/notifier.sqlite.js";
import { notificationDeliverySuite } from "./delivery.suite.js";

let n = 0;
notificationDeliverySuite("embedded, durable (SQLite)", () => ({
  notifier: async () => new SqliteNotifier({ file: join(mkdtempSync(join(tmpdir(), "notifier-queues-")), "q.sqlite") }),
  name: (base) => `${base}-${n++}`,
}));
