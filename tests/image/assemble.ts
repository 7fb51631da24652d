/**
 * Builds an image's file tree from its Dockerfile without Docker: the build context as .dockerignore leaves it, each
 * stage in its own directory, COPY as Docker does it, and of RUN only what shapes the files (npm ci, npm run, npm
 * prune); system setup (apt-get, the npm version, the data dir) is logged and skipped. Anything else fails loudly, so
 * the Dockerfile cannot drift from what the smoke test checks.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, copyFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { execForm, parseDockerfile, parseEnv, splitFlags, type Instruction } from "./dockerfile.js";
import { isIgnored, mayReinclude, parseDockerignore } from "./dockerignore.js";

export interface AssembleOptions {
  /** The build context: the directory `docker build` is given. */
  readonly contextDir: string;
  /** An installed node_modules for the same lockfile, copied instead of running `npm ci` again (checked first). */
  readonly installedNodeModules?: string;
  /** An empty directory to build stages in. */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

export interface AssembledImage {
  /** The final stage's root filesystem. */
  readonly root: string;
  /** WORKDIR inside the image (absolute, e.g. /app). */
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly user: { uid: number; gid: number } | undefined;
  readonly command: string[];
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user?: { uid: number; gid: number };
  entrypoint: string[];
  cmd: string[];
}

export function assembleImage(options: AssembleOptions): AssembledImage {
  const { contextDir, workDir, log } = options;
  const dockerfile = parseDockerfile(readFileSync(join(contextDir, "Dockerfile"), "utf8"));
  const ignorePath = join(contextDir, ".dockerignore");
  const rules = parseDockerignore(existsSync(ignorePath) ? readFileSync(ignorePath, "utf8") : "");

  const context = join(workDir, "context");
  const files = copyContext(contextDir, context, rules);
  log(`build context: ${files} files after .dockerignore`);

  const stages = new Map<string, StageState>();
  let last: StageState | undefined;
  dockerfile.stages.forEach((stage, index) => {
    const inherited = stages.get(stage.base);
    const root = join(workDir, `stage-${index}-${stage.name}`);
    mkdirSync(root, { recursive: true });
    if (inherited) run("cp", ["-a", `${inherited.root}/.`, root]);
    const state: StageState = inherited
      ? { ...inherited, root, env: { ...inherited.env }, entrypoint: [...inherited.entrypoint], cmd: [...inherited.cmd] }
      : { root, workdir: "/", env: {}, entrypoint: [], cmd: [] };
    log(`stage ${stage.name} (FROM ${stage.base})`);
    for (const instruction of stage.instructions) apply(instruction, state, stages, context, options);
    stages.set(stage.name, state);
    last = state;
  });
  const final = last!;
  return { root: final.root, workdir: final.workdir, env: final.env, user: final.user, command: [...final.entrypoint, ...final.cmd] };
}

function apply(instruction: Instruction, state: StageState, stages: Map<string, StageState>, context: string, options: AssembleOptions): void {
  const where = `Dockerfile:${instruction.line}`;
  switch (instruction.keyword) {
    case "WORKDIR":
      state.workdir = posix.resolve(state.workdir, instruction.args);
      mkdirSync(inRoot(state.root, state.workdir), { recursive: true });
      return;
    case "ENV":
      for (const [name, value] of parseEnv(instruction.args)) state.env[name] = value;
      return;
    case "USER": {
      const match = /^(\d+)(?::(\d+))?$/.exec(instruction.args);
      if (!match) throw new Error(`${where}: USER must be numeric (uid[:gid]) so Kubernetes can check runAsNonRoot: ${instruction.args}`);
      state.user = { uid: Number(match[1]), gid: Number(match[2] ?? match[1]) };
      return;
    }
    case "ENTRYPOINT":
      state.entrypoint = execForm(instruction);
      state.cmd = [];
      return;
    case "CMD":
      state.cmd = execForm(instruction);
      return;
    case "LABEL":
    case "EXPOSE":
    case "ARG":
    case "STOPSIGNAL":
    case "HEALTHCHECK":
      return;
    case "COPY":
      copy(instruction, state, stages, context);
      return;
    case "RUN":
      runStep(instruction, state, options);
      return;
    default:
      throw new Error(`${where}: the image smoke test does not emulate ${instruction.keyword}; teach tests/image/assemble.ts`);
  }
}

function copy(instruction: Instruction, state: StageState, stages: Map<string, StageState>, context: string): void {
  const where = `Dockerfile:${instruction.line}`;
  const { flags, rest } = splitFlags(instruction.args);
  for (const flag of flags.keys()) {
    // --chown/--chmod would change who may write the code: the smoke test runs it read-only, so it would not see that.
    if (flag !== "from" && flag !== "link") throw new Error(`${where}: COPY --${flag} is not emulated`);
  }
  if (rest.startsWith("[")) throw new Error(`${where}: COPY in JSON form is not emulated`);
  const tokens = rest.split(/\s+/);
  const dest = tokens.pop()!;
  if (tokens.length === 0) throw new Error(`${where}: COPY needs a source and a destination`);
  const from = flags.get("from");
  const sourceStage = from === undefined ? undefined : stages.get(from);
  if (from !== undefined && !sourceStage) throw new Error(`${where}: COPY --from=${from} names no earlier stage (images are not emulated)`);

  const destAbs = posix.resolve(state.workdir, dest);
  const destIsDir = dest.endsWith("/") || tokens.length > 1;
  for (const source of tokens) {
    if (/[*?[]/.test(source)) throw new Error(`${where}: wildcards in COPY sources are not emulated`);
    const sourcePath = sourceStage ? inRoot(sourceStage.root, posix.resolve("/", source)) : join(context, posix.normalize(source));
    if (!existsSync(sourcePath)) {
      throw new Error(`${where}: COPY ${source}: not found in ${from ? `stage ${from}` : "the build context (after .dockerignore)"}; docker build fails here too`);
    }
    const target = inRoot(state.root, destAbs);
    if (statSync(sourcePath).isDirectory()) {
      mkdirSync(target, { recursive: true });
      run("cp", ["-a", `${sourcePath}/.`, target]);
    } else {
      const file = destIsDir || (existsSync(target) && statSync(target).isDirectory()) ? join(target, basename(sourcePath)) : target;
      mkdirSync(dirname(file), { recursive: true });
      run("cp", ["-a", sourcePath, file]);
    }
  }
}

function runStep(instruction: Instruction, state: StageState, options: AssembleOptions): void {
  const where = `Dockerfile:${instruction.line}`;
  const { rest } = splitFlags(instruction.args); // --mount=type=cache: a build cache, no file of the image
  const cwd = inRoot(state.root, state.workdir);
  for (const part of rest.split(/\s*&&\s*/)) {
    const words = part.trim().split(/\s+/);
    const [tool, verb] = words;
    if (tool === "apt-get" || (tool === "rm" && words.every((word, i) => i < 2 || word.startsWith("/var/lib/apt/")))) {
      options.log(`  skip RUN ${part.trim()} (system packages; this machine's)`);
    } else if (tool === "npm" && verb === "install" && words.includes("-g")) {
      options.log(`  skip RUN ${part.trim()} (the npm version; this machine's)`);
    } else if ((tool === "mkdir" || tool === "chown") && words.slice(1).filter((w) => !w.startsWith("-")).some((w) => w.startsWith("/") && !isUnder(w, state.workdir))) {
      options.log(`  skip RUN ${part.trim()} (the data dir: each process gets its own writable one)`);
    } else if (tool === "npm" && verb === "ci") {
      npmCi(words.slice(2), cwd, state, options, where);
    } else if (tool === "npm" && (verb === "run" || verb === "prune")) {
      options.log(`  RUN ${part.trim()}`);
      run("npm", words.slice(1), cwd, { ...process.env, ...state.env });
    } else {
      throw new Error(`${where}: the image smoke test does not emulate RUN ${part.trim()}; teach tests/image/assemble.ts`);
    }
  }
}

/** `npm ci`: a copy of an install of the same lockfile when there is one (minutes saved), else npm ci itself. */
function npmCi(flags: string[], cwd: string, state: StageState, options: AssembleOptions, where: string): void {
  for (const flag of flags) if (!["--no-audit", "--no-fund", "--omit=dev"].includes(flag)) throw new Error(`${where}: npm ci ${flag} is not emulated`);
  const installed = options.installedNodeModules;
  const started = Date.now();
  if (installed && sameTree(join(cwd, "package-lock.json"), join(installed, ".package-lock.json"))) {
    run("cp", ["-a", installed, join(cwd, "node_modules")]);
    if (flags.includes("--omit=dev")) run("npm", ["prune", "--omit=dev", "--no-audit", "--no-fund"], cwd, { ...process.env, ...state.env });
    options.log(`  RUN npm ci ${flags.join(" ")}: the checkout's install of the same lockfile, copied${flags.includes("--omit=dev") ? " and pruned" : ""} (${Date.now() - started} ms)`);
  } else {
    options.log(`  RUN npm ci ${flags.join(" ")} (no install of this lockfile to copy: a full install, minutes)`);
    run("npm", ["ci", ...flags], cwd, { ...process.env, ...state.env });
  }
}

interface LockEntry {
  version?: string;
  optional?: boolean;
  link?: boolean;
}

/** Whether node_modules (its hidden lockfile) holds exactly the lockfile's packages, optional ones for other platforms aside. */
function sameTree(lockFile: string, hiddenLockFile: string): boolean {
  if (!existsSync(lockFile) || !existsSync(hiddenLockFile)) return false;
  const lock = (JSON.parse(readFileSync(lockFile, "utf8")) as { packages: Record<string, LockEntry> }).packages;
  const hidden = (JSON.parse(readFileSync(hiddenLockFile, "utf8")) as { packages: Record<string, LockEntry> }).packages;
  for (const [path, entry] of Object.entries(hidden)) if (lock[path]?.version !== entry.version) return false;
  for (const [path, entry] of Object.entries(lock)) if (path !== "" && !(path in hidden) && !entry.optional) return false;
  return true;
}

/** Copies the context directory as .dockerignore leaves it; returns how many files. */
function copyContext(from: string, to: string, rules: ReturnType<typeof parseDockerignore>): number {
  let count = 0;
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(from, relative), { withFileTypes: true })) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const ignored = isIgnored(rules, path);
      if (entry.isDirectory()) {
        if (!ignored || mayReinclude(rules, path)) walk(path);
        continue;
      }
      if (ignored) continue;
      const target = join(to, path);
      mkdirSync(dirname(target), { recursive: true });
      if (lstatSync(join(from, path)).isSymbolicLink()) symlinkSync(readlinkSync(join(from, path)), target);
      else copyFileSync(join(from, path), target);
      count++;
    }
  };
  mkdirSync(to, { recursive: true });
  walk("");
  return count;
}

const inRoot = (root: string, absolute: string) => join(root, absolute);
const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

function run(command: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): void {
  const result = spawnSync(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${(result.stdout + result.stderr).trim().split("\n").slice(-30).join("\n")}`);
  }
}
