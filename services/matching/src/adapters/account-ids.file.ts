import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { AccountIds } from "../ports/account-ids.port.js";

/**
 * Account numbers in an append-only file of `<number>\t<account>\n` lines, fsynced before a
 * number is handed out (so the journal never refers to a number the file lost). A torn last
 * line from a crash is cut off: its number was never used by a journaled command. With `mirror`
 * (the journal archive), a new number is also copied off the node before it is handed out; a
 * copy that failed is retried before the number is handed out again.
 */
export class FileAccountIds implements AccountIds {
  private readonly byName = new Map<string, number>();
  private readonly byNumber: string[] = [""];
  private readonly fd: number;
  /** numbers assigned whose mirror copy failed (name -> number). */
  private readonly unmirrored = new Map<string, number>();

  constructor(
    readonly file: string,
    private readonly mirror?: (number: number, accountId: string) => Promise<void>,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length !== text.length) {
      const fd = openSync(file, "r+");
      ftruncateSync(fd, Buffer.byteLength(complete));
      fsyncSync(fd);
      closeSync(fd);
    }
    for (const line of complete.split("\n")) {
      if (line === "") continue;
      const [number, name] = line.split("\t");
      if (Number(number) !== this.byNumber.length) throw new Error(`${file}: expected account number ${this.byNumber.length}, found "${number}"`);
      this.byNumber.push(name);
      this.byName.set(name, Number(number));
    }
    this.fd = openSync(file, "a");
  }

  async numberOf(accountId: string): Promise<number> {
    const known = this.byName.get(accountId);
    if (known !== undefined) {
      if (this.unmirrored.size > 0 && this.unmirrored.has(accountId)) await this.copy(known, accountId);
      return known;
    }
    const number = this.byNumber.length;
    writeSync(this.fd, `${number}\t${accountId}\n`);
    fsyncSync(this.fd);
    this.byNumber.push(accountId);
    this.byName.set(accountId, number);
    if (this.mirror) {
      this.unmirrored.set(accountId, number);
      await this.copy(number, accountId);
    }
    return number;
  }

  private async copy(number: number, accountId: string): Promise<void> {
    await this.mirror!(number, accountId);
    this.unmirrored.delete(accountId);
  }

  nameOf(accountNumber: number): string {
    const name = this.byNumber[accountNumber];
    if (name === undefined) throw new Error(`unknown account number ${accountNumber}`);
    return name;
  }

  close(): void {
    closeSync(this.fd);
  }
}
