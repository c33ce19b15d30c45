/** What the extractor takes from a tar entry: its body in one piece, and the times its file gets. */
import { concatBytes } from "../io/bytes.ts";
import type { TarHeader } from "../tar/header.ts";
import type { TarEntry } from "../tar/reader.ts";

/** A body read chunk by chunk; one view of the reader's window when it came in one chunk. */
export async function bodyOf(entry: TarEntry): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of entry.chunks()) parts.push(chunk.length === entry.header.size ? chunk : chunk.slice());
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/** The times an entry's file gets, in ms. */
export function entryTimes(h: TarHeader): { atimeMs: number; mtimeMs: number } {
  const mtimeMs = h.mtime.seconds * 1000 + Math.floor(h.mtime.nanoseconds / 1e6);
  const atimeRaw = h.atime ? h.atime.seconds * 1000 + Math.floor(h.atime.nanoseconds / 1e6) : mtimeMs;
  return { atimeMs: Math.max(atimeRaw, mtimeMs), mtimeMs }; // Docker: access time is never before modification
}
