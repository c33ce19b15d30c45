/**
 * ArchiveBytes sources: a file through FilesPort, a Blob (a dropped File in a browser; every
 * runtime wharf supports has Blob), or bytes already in memory. Reads are ranges, so an archive is never
 * held whole; `rangeStream` turns a range into a pulled stream for the layer pipeline.
 */
import type { FilesPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import type { ArchiveBytes } from "./model.ts";

/** A file read by positional ranges on one handle; close it when done. */
export async function archiveBytesFromFile(files: FilesPort, path: string): Promise<ArchiveBytes & { close(): Promise<void> }> {
  const info = await files.stat(path);
  if (!info) throw new WharfError("NOT_FOUND", `${path}: no such file`);
  if (info.kind !== "file") throw new WharfError("INVALID_ARGUMENT", `${path}: not a regular file`);
  const handle = await files.open(path, "r");
  return {
    size: info.size,
    label: path,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const out = new Uint8Array(Math.max(0, Math.min(length, info.size - offset)));
      let filled = 0;
      while (filled < out.length) {
        const n = await handle.read(out.subarray(filled), offset + filled);
        if (n === 0) break; // the file shrank: the caller sees a short read
        filled += n;
      }
      return filled === out.length ? out : out.subarray(0, filled);
    },
    close: () => handle.close(),
  };
}

/** A Blob (or File) read by slices: works in browsers and Web Workers as on the server runtimes. */
export function archiveBytesFromBlob(blob: Blob, label = (blob as { name?: string }).name || "blob"): ArchiveBytes {
  return {
    size: blob.size,
    label,
    async read(offset: number, length: number): Promise<Uint8Array> {
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Bytes already in memory (tests, small inputs). */
export function archiveBytesFromBytes(data: Uint8Array, label = "bytes"): ArchiveBytes {
  return {
    size: data.length,
    label,
    read: (offset: number, length: number) => Promise.resolve(data.subarray(offset, Math.min(data.length, offset + length))),
  };
}

const RANGE_CHUNK = 1 << 20;

/**
 * `length` bytes at `offset` as a pulled stream (one read per pull, so nothing piles up).
 * `onBytes` reports each chunk's length (progress). A short read is an error: the archive ended early.
 */
export function rangeStream(bytes: ArchiveBytes, offset: number, length: number, onBytes?: (n: number) => void): ReadableStream<Uint8Array> {
  let at = offset;
  const end = offset + length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at >= end) {
        controller.close();
        return;
      }
      const chunk = await bytes.read(at, Math.min(RANGE_CHUNK, end - at));
      if (chunk.length === 0) {
        controller.error(new WharfError("INVALID_ARCHIVE", `${bytes.label}: archive ended early at offset ${at}`));
        return;
      }
      at += chunk.length;
      onBytes?.(chunk.length);
      // A Blob read gives a fresh buffer; a subarray of caller memory is copied so it may be kept.
      controller.enqueue(chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice());
    },
  }, { highWaterMark: 0 });
}
