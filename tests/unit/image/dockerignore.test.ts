import { describe, expect, it } from "vitest";
import { parseDockerfile, parseEnv, splitFlags } from "../../image/dockerfile.js";
import { isIgnored, mayReinclude, parseDockerignore } from "../../image/dockerignore.js";

describe(".dockerignore as Docker reads it", () => {
  const allowList = parseDockerignore(["# comment", "*", "!package.json", "!scripts/build.mjs", "!services", "**/*.test.ts", ""].join("\n"));

  it("excludes everything a leading * names, then brings back the ! patterns and what is under them", () => {
    expect(isIgnored(allowList, "README.md")).toBe(true);
    expect(isIgnored(allowList, "edge/src/main.ts")).toBe(true);
    expect(isIgnored(allowList, "package.json")).toBe(false);
    expect(isIgnored(allowList, "services/registry.ts")).toBe(false);
    expect(isIgnored(allowList, "services/wallet/src/adapters/sqlite-writer.worker.mjs")).toBe(false);
    expect(isIgnored(allowList, "scripts/build.mjs")).toBe(false);
    expect(isIgnored(allowList, "scripts/other.mjs")).toBe(true);
  });

  it("lets a later pattern exclude again: ** spans directories, * stays in one", () => {
    expect(isIgnored(allowList, "services/kit/src/money.test.ts")).toBe(true);
    const rules = parseDockerignore("services/*.ts\n");
    expect(isIgnored(rules, "services/main.ts")).toBe(true);
    expect(isIgnored(rules, "services/kit/main.ts")).toBe(false);
  });

  it("walks an excluded directory only when a ! pattern may bring something back from it", () => {
    expect(mayReinclude(allowList, "scripts")).toBe(true);
    expect(mayReinclude(allowList, "node_modules")).toBe(false);
    expect(mayReinclude(parseDockerignore("node_modules\n!**/keep.txt\n"), "node_modules")).toBe(true);
  });

  it("reads the old deny-list that left the edge out of the image", () => {
    const old = parseDockerignore("node_modules\ndocs\nedge\n**/*.test.ts\n");
    expect(isIgnored(old, "edge/src/main.ts")).toBe(true);
    expect(isIgnored(old, "services/registry.ts")).toBe(false);
  });
});

describe("Dockerfile reading", () => {
  it("joins continued lines, drops comments, names stages and fills FROM's ARGs", () => {
    const file = parseDockerfile(
      ["# syntax=docker/dockerfile:1", "ARG NODE_VERSION=20", "FROM node:${NODE_VERSION}-slim AS build", "RUN a \\", "  # inside", " && b", "FROM node:${NODE_VERSION}-slim", "COPY --from=build /app/dist ./dist"].join("\n"),
    );
    expect(file.stages.map((s) => [s.name, s.base])).toEqual([
      ["build", "node:20-slim"],
      ["1", "node:20-slim"],
    ]);
    expect(file.stages[0].instructions).toEqual([{ keyword: "RUN", args: "a  && b", line: 4 }]);
    expect(splitFlags(file.stages[1].instructions[0].args)).toEqual({ flags: new Map([["from", "build"]]), rest: "/app/dist ./dist" });
  });

  it("reads ENV pairs, quoted or not", () => {
    expect(parseEnv('NODE_ENV=production  X="two words" Y=3')).toEqual([
      ["NODE_ENV", "production"],
      ["X", "two words"],
      ["Y", "3"],
    ]);
    expect(parseEnv("OLD form")).toEqual([["OLD", "form"]]);
  });
});
