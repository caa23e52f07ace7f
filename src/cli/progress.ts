// Progress for long CLI runs: a bar redrawn in place on a terminal, JSON lines otherwise (for logs and CI).
import type { Writable } from "node:stream";

export interface Progress {
  /** `total` undefined = unknown (a count that only grows). */
  update(label: string, done: number, total?: number): void;
  done(): void;
}

export function createProgress(
  stream: Writable & { isTTY?: boolean; columns?: number } = process.stderr,
): Progress {
  let lastLine = "";
  let lastAt = 0;
  if (!stream.isTTY) {
    return {
      update(label, done, total) {
        // A line per second at most, and always the last one of a phase.
        const now = Date.now();
        if (now - lastAt < 1000 && done !== total) return;
        lastAt = now;
        stream.write(
          `${JSON.stringify({ event: "progress", label, done, ...(total !== undefined ? { total } : {}) })}\n`,
        );
      },
      done() {},
    };
  }
  return {
    update(label, done, total) {
      const width = 30;
      let line: string;
      if (total !== undefined && total > 0) {
        const filled = Math.min(width, Math.round((done / total) * width));
        line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
      } else line = `${label} ${done}`;
      if (line === lastLine) return;
      lastLine = line;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
    },
    done() {
      if (lastLine) stream.write("\n");
      lastLine = "";
    },
  };
}

/** A plain text table: a header row, then rows, columns padded to their widest cell. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n")}\n`;
}
