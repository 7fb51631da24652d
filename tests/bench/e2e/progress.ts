// A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise (CI logs).
const WIDTH = 30;

export class Progress {
  private lastLine = 0;
  private readonly tty = process.stderr.isTTY === true;

  /** `fraction` of the current step done, with a short status. */
  update(label: string, fraction: number, status: string): void {
    const clamped = Math.max(0, Math.min(1, fraction));
    const filled = Math.round(clamped * WIDTH);
    const line = `${label.padEnd(22)} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${String(Math.round(clamped * 100)).padStart(3)}% ${status}`;
    if (this.tty) {
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 120) - 1).padEnd(Math.min(process.stderr.columns ?? 120, 120) - 1)}`);
    } else if (Date.now() - this.lastLine > 5_000) {
      this.lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }

  /** Ends the current bar with a summary line. */
  done(line: string): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
    process.stderr.write(`${line}\n`);
    this.lastLine = 0;
  }

  note(line: string): void {
    this.done(line);
  }
}
