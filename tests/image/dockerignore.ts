/**
 * .dockerignore as Docker reads it (moby/patternmatcher): one pattern a line, `#` comments, `!` re-includes, a
 * pattern matches a path or any of its parent directories, `*` and `?` stay within one path segment, `**` spans any
 * number of them, and the last pattern that matches decides.
 */
export interface IgnoreRule {
  readonly exclusion: boolean; // a `!` pattern: brings back what an earlier one excluded
  readonly pattern: string;
  readonly regex: RegExp;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exclusion = line.startsWith("!");
    if (exclusion) line = line.slice(1).trim();
    const pattern = clean(line);
    if (pattern === "") continue;
    rules.push({ exclusion, pattern, regex: toRegex(pattern) });
  }
  return rules;
}

function clean(pattern: string): string {
  const parts: string[] = [];
  for (const part of pattern.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function toRegex(pattern: string): RegExp {
  let out = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") {
      i++;
      if (pattern[i + 1] === "/") {
        i++;
        out += "(?:.*/)?"; // `**/` : zero or more whole directories
      } else out += ".*";
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) out += escape(pattern[++i]);
    else out += escape(c);
  }
  return new RegExp(`${out}$`);
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Whether Docker leaves `path` (relative to the context, `/`-separated) out of the build context. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const candidates = [path];
  for (let slash = path.lastIndexOf("/"); slash > 0; slash = path.lastIndexOf("/", slash - 1)) candidates.push(path.slice(0, slash));
  let ignored = false;
  for (const rule of rules) if (candidates.some((candidate) => rule.regex.test(candidate))) ignored = !rule.exclusion;
  return ignored;
}

/** Whether a `!` pattern could bring back something under the ignored directory `dir`, so it must still be walked. */
export function mayReinclude(rules: readonly IgnoreRule[], dir: string): boolean {
  return rules.some((rule) => {
    if (!rule.exclusion) return false;
    const literal = rule.pattern.split(/[*?[\\]/)[0];
    if (literal.length < rule.pattern.length && !literal.includes("/")) return true; // a wildcard in the first segment
    return literal.startsWith(`${dir}/`) || `${dir}/`.startsWith(literal.endsWith("/") ? literal : `${literal}/`);
  });
}
