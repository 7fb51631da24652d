import type { Command } from "../../../../services/matching/src/domain/commands.js";
import { prng } from "../../../support/prng.js";
import { build, type Recipe } from "./recipes.js";

export { prng };


export function seededCommands(seed: number, n: number): Command[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const recipes: Recipe[] = [];
  for (let i = 0; i < n; i++) {
    recipes.push({ kind: int(0, 99), buy: r() < 0.5, off: int(-6, 6), qty: int(1, 12), user: int(1, 4), pick: int(0, 1000), a: int(0, 9), b: int(0, 9), c: int(0, 9) });
  }
  return build(recipes);
}
