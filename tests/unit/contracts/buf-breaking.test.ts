import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// CI runs `buf breaking` against the previous commit. This shows the check has teeth: a
// copy of the contracts with a deliberately breaking edit is caught, an unchanged copy is not.

const root = resolve(import.meta.dirname, "../../..");
const buf = join(root, "node_modules/.bin/buf");

function copyContracts(): string {
  const dir = mkdtempSync(join(tmpdir(), "buf-breaking-"));
  cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
  cpSync(join(root, "buf.yaml"), join(dir, "buf.yaml"));
  return dir;
}

function breaking(candidate: string) {
  return spawnSync(buf, ["breaking", candidate, "--against", root], { encoding: "utf8" });
}

describe("buf breaking", () => {
  it("passes for unchanged contracts", () => {
    const dir = copyContracts();
    try {
      const result = breaking(dir);
      expect(result.stderr + result.stdout).toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("catches a renumbered field and a removed RPC", () => {
    const dir = copyContracts();
    try {
      const file = join(dir, "proto/exchange/order/v1/order.proto");
      const source = readFileSync(file, "utf8");
      const edited = source
        .replace("string client_order_id = 12", "string client_order_id = 42")
        .replace("  rpc ListMyTrades(ListMyTradesRequest) returns (ListMyTradesResponse);\n", "");
      expect(edited).not.toBe(source);
      writeFileSync(file, edited);
      const result = breaking(dir);
      expect(result.status).not.toBe(0);
      const report = result.stdout + result.stderr;
      expect(report).toMatch(/ListMyTrades/);
      expect(report).toMatch(/client_order_id|"12"|field "12"/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the contracts lint-clean (STANDARD)", () => {
    expect(() => execFileSync(buf, ["lint"], { cwd: root, encoding: "utf8" })).not.toThrow();
  });
});
