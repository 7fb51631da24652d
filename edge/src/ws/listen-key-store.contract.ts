/** The one contract suite every ListenKeyStore adapter passes. `open()` returns a store whose keys are private to this run. */
import { afterEach, describe, expect, it } from "vitest";
import type { ListenKeyEnd, ListenKeyStore } from "./listen-key-store.port.js";

export interface ListenKeyStoreHarness {
  /** A fresh store; it reports a watched key's expiry within `checkWithinMs` of it. */
  open(): Promise<ListenKeyStore>;
  readonly checkWithinMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 60 * 60 * 1000;

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

export function listenKeyStoreContract(engine: string, harness: ListenKeyStoreHarness): void {
  describe(`ListenKeyStore contract: ${engine}`, () => {
    let store: ListenKeyStore | undefined;
    let ended: [string, string, ListenKeyEnd][];
    const open = async () => {
      ended = [];
      store = await harness.open();
      store.onEnd((key, userId, why) => ended.push([key, userId, why]));
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it("stores the candidate as a user's first key and answers it again while it lives; another user's candidate is refused", async () => {
      const s = await open();
      expect(await s.open("alice", "KeyA1", HOUR)).toBe("KeyA1");
      expect(await s.open("alice", "KeyA2", HOUR)).toBe("KeyA1");
      expect(await s.open("bob", "KeyA1", HOUR)).toBeUndefined(); // taken: the caller tries another
      expect(await s.open("bob", "KeyB1", HOUR)).toBe("KeyB1");
      expect(await s.userOf("KeyA1")).toBe("alice");
      expect(await s.userOf("KeyB1")).toBe("bob");
      expect(await s.userOf("KeyA2")).toBeUndefined();
    });

    it("keeps alive and deletes only for the key's own user; DELETE is reported once to a watcher", async () => {
      const s = await open();
      await s.open("alice", "KeyA1", HOUR);
      s.watch("KeyA1", "alice");
      expect(await s.keepAlive("KeyA1", "bob", HOUR)).toBe(false);
      expect(await s.delete("KeyA1", "bob")).toBe(false);
      expect(await s.keepAlive("Unknown", "alice", HOUR)).toBe(false);
      expect(await s.delete("Unknown", "alice")).toBe(false);
      expect(await s.keepAlive("KeyA1", "alice", HOUR)).toBe(true);
      expect(await s.delete("KeyA1", "alice")).toBe(true);
      await eventually(() => ended.length > 0, 2_000);
      expect(await s.delete("KeyA1", "alice")).toBe(false);
      expect(await s.keepAlive("KeyA1", "alice", HOUR)).toBe(false);
      expect(await s.userOf("KeyA1")).toBeUndefined();
      expect(await s.open("alice", "KeyA2", HOUR)).toBe("KeyA2");
      await sleep(harness.checkWithinMs * 2);
      expect(ended).toEqual([["KeyA1", "alice", "deleted"]]);
    });

    it("expires a key its time to live after the last open or keepalive, and reports it once to a watcher", async () => {
      const s = await open();
      const ttl = 600;
      await s.open("alice", "KeyA1", ttl);
      s.watch("KeyA1", "alice");
      await sleep(400);
      expect(await s.keepAlive("KeyA1", "alice", ttl)).toBe(true);
      await sleep(400);
      expect(await s.open("alice", "KeyA2", ttl)).toBe("KeyA1"); // 800 ms in, 400 after the keepalive
      await sleep(300); // past the keepalive's end, before the second open's
      expect(await s.userOf("KeyA1")).toBe("alice");
      expect(ended).toEqual([]);
      await eventually(() => ended.length > 0, ttl + harness.checkWithinMs + 1_000);
      expect(await s.userOf("KeyA1")).toBeUndefined();
      expect(await s.keepAlive("KeyA1", "alice", ttl)).toBe(false);
      expect(await s.open("alice", "KeyA2", HOUR)).toBe("KeyA2");
      await sleep(harness.checkWithinMs * 2);
      expect(ended).toEqual([["KeyA1", "alice", "expired"]]);
    });
  });
}
