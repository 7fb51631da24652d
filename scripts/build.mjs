// `npm run build`: services/, edge/ and gen/ as JavaScript in dist/, the same layout, so `node dist/services/main.js`
// runs what `npm start` runs without compiling at start-up. esbuild transpiles file by file (no bundling, imports
// left as written; tsconfig's isolatedModules keeps that safe); types are checked by `npm run typecheck`, not here.
// Plain JavaScript so it runs with node alone.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildWeb } from "./build-web.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist");
// Built beside dist/ and swapped in whole (two renames), so a process starting from dist/ (the distributed harness
// starts several right after a build) finds the old tree or the new one, never a mix, even with another build running.
const scratch = join(root, ".dist-tmp");
const staging = join(scratch, String(process.pid));
const TREES = ["services", "edge", "gen"];
const isTest = (file) => /\.test\.[cm]?ts$/.test(file);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

const started = Date.now();
rmSync(staging, { recursive: true, force: true });
const sources = [];
const copied = [];
for (const tree of TREES) {
  for (const file of files(join(root, tree))) {
    if (isTest(file) || file.endsWith(".d.ts")) continue;
    if (file.endsWith(".ts")) sources.push(file);
    else copied.push(file); // runtime files that are not TypeScript: worker threads (.mjs), JSON, SQL
  }
}

const result = await build({
  entryPoints: sources,
  outdir: staging,
  outbase: root,
  format: "esm",
  platform: "node",
  target: "node20",
  bundle: false,
  logLevel: "warning",
  tsconfig: join(root, "tsconfig.json"),
});
if (result.errors.length > 0) {
  rmSync(staging, { recursive: true, force: true });
  process.exit(1);
}

for (const file of copied) {
  const target = join(staging, relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
}

// The nearest package.json scopes `#gen/*` and `#kit/*` and marks .js as ES modules: the same map as the root's,
// whose relative targets hold inside dist/ because the layout is the same.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
writeFileSync(join(staging, "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: pkg.type, imports: pkg.imports }, null, 2)}\n`);

// The trading page where the compiled edge looks for it (edge/src/web/trading-page.ts: web/dist beside the code).
await buildWeb(join(staging, "web", "dist"));

swapIn(staging, out);
process.stdout.write(`build: ${sources.length} TypeScript files and ${copied.length} others into ${relative(process.cwd(), out) || "."}/ in ${Date.now() - started} ms\n`);

function swapIn(built, target) {
  const old = join(scratch, `${process.pid}.old`);
  for (;;) {
    rmSync(old, { recursive: true, force: true });
    try {
      renameSync(target, old);
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    try {
      renameSync(built, target);
      break;
    } catch (error) {
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error; // another build swapped in first: go again
    }
  }
  rmSync(old, { recursive: true, force: true });
  try {
    rmdirSync(scratch);
  } catch {
    // another build is still using it
  }
}
