// CPU time of a process (every thread: SQLite's writer thread and other workers included), from
// /proc/<pid>/stat: utime + stime, in clock ticks.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

const TICKS_PER_SECOND = clockTicksPerSecond();

/** CPU seconds (user + system) the process has used so far; NaN when /proc cannot tell. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** The CPU's model name and how many cores this machine has. */
export function cpuModel(): { model: string; cores: number } {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const models = [...info.matchAll(/^model name\s*:\s*(.+)$/gm)].map((match) => match[1].trim());
    return { model: models[0] ?? "unknown", cores: models.length };
  } catch {
    return { model: "unknown", cores: 0 };
  }
}
