/**
 * Test-only helpers for tarexport tests: read a fixture archive into members, rebuild it with
 * edits (drop, replace, add), gzip bytes, and list a data-root with dump-root.py.
 */
import { TarReader } from "../../src/tar/reader.ts";
import { writeTar, type TarEntry } from "../../src/tar/writer.ts";
import type { TarEntryHeader } from "../../src/tar/header-encode.ts";
import { readAll } from "../../src/io/bytes.ts";
import { gzipEncode } from "../../src/compress/index.ts";
import type { Runtime } from "../../src/ports.ts";
import { fixturePath } from "./fixtures.ts";

export interface Member {
  header: TarEntryHeader;
  body: Uint8Array;
}

export async function readMembers(archive: Uint8Array): Promise<Member[]> {
  const out: Member[] = [];
  const reader = new TarReader(archive, { copyChunks: true });
  for await (const entry of reader) {
    const h = entry.header;
    const body = await readAll(entry.stream());
    out.push({
      header: { name: h.name, typeflag: h.typeflag, mode: h.mode, uid: h.uid, gid: h.gid, size: body.length, mtime: h.mtime.seconds, linkname: h.linkname, uname: h.uname, gname: h.gname },
      body,
    });
  }
  return out;
}

export async function writeMembers(members: Member[]): Promise<Uint8Array> {
  const entries: TarEntry[] = members.map((m) => ({ header: { ...m.header, size: m.body.length }, body: m.body }));
  return readAll(writeTar(entries));
}

export function fileMember(name: string, body: Uint8Array | string): Member {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return { header: { name, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: bytes.length, mtime: 0 }, body: bytes };
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return readAll(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(gzipEncode()));
}

/** Offset of the first byte of file content in a layer tar (to flip it). */
export async function firstFileBodyOffset(layerTar: Uint8Array): Promise<number> {
  const reader = new TarReader(layerTar);
  for (let e = await reader.next(); e; e = await reader.next()) {
    if (e.header.typeflag === "0" && e.bodyLength > 0) return reader.position;
  }
  throw new Error("layer has no file content");
}

/** dump-root.py of a data-root (the fixture listing's format). */
export async function dumpRoot(rt: Runtime, root: string, driver: string): Promise<string> {
  const tool = fixturePath("../tools/dump-root.py");
  const r = await rt.processes!.run("python3", [tool, root, driver]);
  if (r.code !== 0) throw new Error(`dump-root failed: ${new TextDecoder().decode(r.stderr)}`);
  return new TextDecoder().decode(r.stdout);
}
