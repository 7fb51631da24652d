import { MemoryListenKeyStore } from "../../../edge/src/ws/listen-key-store.memory.js";
import { listenKeyStoreContract } from "../../../edge/src/ws/listen-key-store.contract.js";

listenKeyStoreContract("memory", { open: async () => new MemoryListenKeyStore(), checkWithinMs: 0 });
