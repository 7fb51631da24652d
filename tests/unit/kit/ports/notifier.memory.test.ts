import { MemoryCache } from "#kit/adapters/cache.memory.js";
import { MemoryNotifier } from "#kit/adapters/notifier.memory.js";
import { notifierContract } from "#kit/ports/notifier.contract.js";

let n = 0;
notifierContract("memory", () => ({
  open: async () => new MemoryNotifier(),
  name: (base) => `${base}-${n++}`,
  seen: async () => new MemoryCache(),
}));
