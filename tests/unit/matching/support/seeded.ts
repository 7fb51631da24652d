import type { Command } from "../../../../services/matching/src/domain/commands.js";
import { build, type Recipe } from "./recipes.js";

/** mulberry32: tiny seeded PRNG (deterministic streams for recovery tests and the kill -9 child). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededCommands(seed: number, n: number): Command[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const recipes: Recipe[] = [];
  for (let i = 0; i < n; i++) {
    recipes.push({ kind: int(0, 99), buy: r() < 0.5, off: int(-6, 6), qty: int(1, 12), user: int(1, 4), pick: int(0, 1000), a: int(0, 9), b: int(0, 9), c: int(0, 9) });
  }
  return build(recipes);
}
