// `npm run build`: services/, edge/ and gen/ as JavaScript in dist/, the same layout, so `node dist/services/main.js`
// runs what `npm start` runs without compiling at start-up. esbuild transpiles file by file (no bundling, imports
// left as written; tsconfig's isolatedModules keeps that safe); types are checked by `npm run typecheck`, not here.
// Plain JavaScript so it runs with node alone.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist");
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
rmSync(out, { recursive: true, force: true });
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
  outdir: out,
  outbase: root,
  format: "esm",
  platform: "node",
  target: "node20",
  bundle: false,
  logLevel: "warning",
  tsconfig: join(root, "tsconfig.json"),
});
if (result.errors.length > 0) process.exit(1);

for (const file of copied) {
  const target = join(out, relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
}

// The nearest package.json scopes `#gen/*` and `#kit/*` and marks .js as ES modules: the same map as the root's,
// whose relative targets hold inside dist/ because the layout is the same.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
writeFileSync(join(out, "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: pkg.type, imports: pkg.imports }, null, 2)}\n`);

process.stdout.write(`build: ${sources.length} TypeScript files and ${copied.length} others into ${relative(process.cwd(), out) || "."}/ in ${Date.now() - started} ms\n`);
