import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "leader-child.ts");
const running: ChildProcess[] = [];

/** SIGKILLs every leader child still running (afterEach). */
export function stopLeaders(): void {
  running.splice(0).forEach((p) => p.kill("SIGKILL"));
}

/** A child whose output lines are collected; `until` resolves once a line matches. */
export function startLeader(args: string[]) {
  const p = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.push(p);
  const lines: string[] = [];
  const waiters: { re: RegExp; ok: (m: RegExpExecArray) => boolean; resolve: (m: RegExpExecArray) => void }[] = [];
  let buf = "";
  let err = "";
  p.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      at.push(performance.now());
      for (const w of [...waiters]) {
        const m = w.re.exec(line);
        if (m && w.ok(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
  /** when each line arrived (performance.now()), by index in `lines` */
  const at: number[] = [];
  return {
    process: p,
    lines,
    at,
    stderr: () => err,
    exited,
    /** the first line matching `re` (and `ok`, when given), already printed or still to come */
    until: (re: RegExp, ok: (m: RegExpExecArray) => boolean = () => true) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const seen = lines.map((l) => re.exec(l)).find((m) => m && ok(m));
        if (seen) return resolve(seen);
        waiters.push({ re, ok, resolve });
        void exited.then((code) => reject(new Error(`child exited ${code} before ${re}: ${err}`)));
      }),
    acks: () => lines.filter((l) => l.startsWith("ACK ")).map((l) => Number(l.slice(4))),
  };
}

