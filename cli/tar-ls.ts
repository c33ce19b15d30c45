import { defineCommand } from "citty";
import type { TarHeader } from "../src/tar/header.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { openTarArgument, walkTar } from "./input.ts";
import { formatMode, formatTime, renderTable } from "./format.ts";

export default defineCommand({
  meta: { name: "ls", description: "List the entries of a tar: FILE, or - for standard input" },
  args: {
    file: { type: "positional", description: "Tar file (plain, gzip or zstd), or - for stdin", required: true },
    format: { type: "string", alias: "f", description: "Output format: table (default) or json (one object per line)" },
  },
  async run({ args }) {
    const format = args.format ?? "table";
    if (format !== "table" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want table or json)`);
    const ctx = await cliContext();
    const input = await openTarArgument(ctx, args.file);
    const rows: string[][] = [];
    await walkTar(input, async ({ header: h }) => {
      if (format === "json") await ctx.out(JSON.stringify(entryJson(h)) + "\n");
      else rows.push([formatMode(h), `${h.uname || h.uid}/${h.gname || h.gid}`, String(h.size), formatTime(h.mtime.seconds), describeName(h)]);
    });
    if (format === "table") await ctx.out(renderTable(["MODE", "OWNER", "SIZE", "MODIFIED", "NAME"], rows, [2]));
  },
});

function describeName(h: TarHeader): string {
  if (h.typeflag === "2") return `${h.name} -> ${h.linkname}`;
  if (h.typeflag === "1") return `${h.name} link to ${h.linkname}`;
  return h.name;
}

const TYPE_NAMES: Record<string, string> = {
  "0": "file", "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo", "7": "file",
};

function entryJson(h: TarHeader): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: h.name,
    type: TYPE_NAMES[h.typeflag] ?? `typeflag ${JSON.stringify(h.typeflag)}`,
    mode: `0${(h.mode & 0o7777).toString(8).padStart(3, "0")}`,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: formatTime(h.mtime.seconds, h.mtime.nanoseconds),
  };
  if (h.uname) out.uname = h.uname;
  if (h.gname) out.gname = h.gname;
  if (h.linkname) out.linkname = h.linkname;
  if (h.typeflag === "3" || h.typeflag === "4") out.device = `${h.devmajor}:${h.devminor}`;
  if (h.xattrs.size) out.xattrs = Object.fromEntries([...h.xattrs].map(([k, v]) => [k, base64(v)]));
  return out;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
