/** A Dockerfile read into stages of instructions: enough of the syntax for tests/image/smoke.ts to emulate it. */
export interface Instruction {
  readonly keyword: string; // upper case: FROM, RUN, COPY, ...
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: Instruction[];
}

export interface Dockerfile {
  readonly stages: Stage[];
}

/** Joins `\` continuations, drops comments and parser directives, substitutes global ARG defaults in FROM. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = "";
  let startLine = 0;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) return;
    if (pending !== "" && line.startsWith("#")) return; // a comment inside a continued instruction
    if (pending === "") startLine = index + 1;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const whole = (pending + line).trim();
    pending = "";
    if (whole === "") return;
    const space = whole.search(/\s/);
    instructions.push({ keyword: (space < 0 ? whole : whole.slice(0, space)).toUpperCase(), args: space < 0 ? "" : whole.slice(space).trim(), line: startLine });
  });
  if (pending !== "") throw new Error("Dockerfile ends inside a continued line");

  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`Dockerfile:${instruction.line}: cannot read FROM ${instruction.args}`);
      const base = match[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globals.get((a ?? b)!) ?? "");
      stages.push({ name: match[2] ?? String(stages.length), base, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value = ""] = instruction.args.split("=", 2);
      globals.set(name.trim(), value.trim());
    } else stages.at(-1)!.instructions.push(instruction);
  }
  if (stages.length === 0) throw new Error("Dockerfile has no FROM");
  return { stages };
}

/** `ENV A=1 B="two words"` (or the old `ENV A 1`) as pairs. */
export function parseEnv(args: string): [string, string][] {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (legacy && !args.includes("=")) return [[legacy[1], legacy[2].trim()]];
  const pairs: [string, string][] = [];
  const re = /(\w+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    const value = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, "$1") : m[2].startsWith("'") ? m[2].slice(1, -1) : m[2];
    pairs.push([m[1], value]);
  }
  return pairs;
}

/** Splits an instruction's `--flag=value` options from the rest. */
export function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(m[1], m[2] ?? "");
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** ENTRYPOINT / CMD in exec (JSON) form. */
export function execForm(instruction: Instruction): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(instruction.args);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string")) {
    throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} must be in exec form (a JSON array) for the smoke test`);
  }
  return parsed;
}
