// `npm run build:web`: the trading page (web/) as static files in web/dist/ (app.js bundled by esbuild, with
// @exchange/sdk from its TypeScript sources; index.html and style.css copied), which the edge serves under /app/.
// `npm run build` calls buildWeb() too, for dist/web/dist. Plain JavaScript so it runs with node alone.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildWeb(outdir = join(root, "web", "dist")) {
  const started = Date.now();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, "web", "src", "main.ts")],
    outfile: join(outdir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome120", "firefox120", "safari17"],
    conditions: ["source"],
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    tsconfig: join(root, "tsconfig.json"),
  });
  if (result.errors.length > 0) throw new Error("the trading page did not build");
  for (const file of ["index.html", "style.css"]) copyFileSync(join(root, "web", file), join(outdir, file));
  process.stdout.write(`build:web: the trading page into ${relative(process.cwd(), outdir) || "."}/ in ${Date.now() - started} ms\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildWeb();
