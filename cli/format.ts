// Output helpers shared by commands: Docker-style tables (columns padded, three spaces apart).
import type { TarHeader } from "../src/tar/header.ts";

/**
 * Renders rows under headers the way the Docker CLI's tabwriter does (minwidth 10, padding 3):
 * every column but the last is padded to max(10, widest cell + 3). `rightAligned` lists column
 * indexes aligned right (sizes in `tar ls`).
 */
export function renderTable(headers: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(10, 3 + Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : rightAligned.includes(i) ? c.padStart(widths[i]! - 3) + "   " : c.padEnd(widths[i]!)))
      .join("")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

const TYPE_CHAR: Record<string, string> = { "1": "h", "2": "l", "3": "c", "4": "b", "5": "d", "6": "p" };

/** `drwxr-xr-x`, like `ls -l` / `tar -tv`, including set-id and sticky bits. */
export function formatMode(h: TarHeader): string {
  const m = h.mode;
  const bit = (mask: number, c: string) => (m & mask ? c : "-");
  const exec = (x: number, special: number, on: string, off: string) => (m & special ? (m & x ? on : off) : m & x ? "x" : "-");
  return (
    (TYPE_CHAR[h.typeflag] ?? "-") +
    bit(0o400, "r") + bit(0o200, "w") + exec(0o100, 0o4000, "s", "S") +
    bit(0o040, "r") + bit(0o020, "w") + exec(0o010, 0o2000, "s", "S") +
    bit(0o004, "r") + bit(0o002, "w") + exec(0o001, 0o1000, "t", "T")
  );
}

/** RFC 3339 in UTC; nanoseconds only when there are any. */
export function formatTime(seconds: number, nanoseconds = 0): string {
  const iso = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  return nanoseconds ? iso.replace("Z", `.${String(nanoseconds).padStart(9, "0").replace(/0+$/, "")}Z`) : iso;
}

/** `--no-trunc`: citty reads a `--no-X` flag as X=false, so the flag arrives as `trunc: false`. */
export function noTrunc(args: Record<string, unknown>): boolean {
  return args["no-trunc"] === true || args.trunc === false;
}
