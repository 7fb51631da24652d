import { MemoryNotifier } from "#kit/adapters/notifier.memory.js";
import { notificationDeliverySuite } from "./delivery.suite.js";

let n = 0;
notificationDeliverySuite("embedded", () => ({
  notifier: async () => new MemoryNotifier(),
  name: (base) => `${base}-${n++}`,
}));
