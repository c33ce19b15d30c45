/** Pieces both reassembly paths share: the getter contract, small-file reads and the errors. */
import { WharfError } from "../errors.ts";
import { toByteSource, type ByteInput } from "../io/source.ts";

/**
 * Opens a file's content by its record name; null when it does not exist. A stream may carry
 * a faster way to the same bytes, used instead of reading the stream: `bytes` (the whole
 * content, already read) or `source` (a ByteSource with `close` and, if known, `size`).
 */
export type TarSplitFileGetter = (name: string, nameBytes: Uint8Array) => Promise<ByteInput | null> | ByteInput | null;

/** A source the getter gave, with the file's size when it knows it (saves the end probe). */
export type SizedSource = ReturnType<typeof toByteSource> & { size?: number };

/** The getter's content, by its fast path when it offers one (see TarSplitFileGetter). */
export function direct(content: ByteInput): ByteInput {
  const fast = content as { bytes?: unknown; source?: ByteInput };
  if (fast.bytes instanceof Uint8Array) return fast.bytes;
  return fast.source ?? content;
}

export function missing(label: string): WharfError {
  return new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} is missing`);
}

/** Reads a whole small file (exactly `size` bytes, else the same errors as streaming it). */
export async function readSmall(getFile: TarSplitFileGetter, label: string, nameBytes: Uint8Array, size: number): Promise<Uint8Array> {
  const got = await getFile(label, nameBytes);
  if (got === null) throw missing(label);
  const content = direct(got);
  if (content instanceof Uint8Array) {
    if (content.length < size) throw shorter(label, size - content.length);
    if (content.length > size) throw longer(label);
    return content;
  }
  const source: SizedSource = toByteSource(content);
  try {
    const body = new Uint8Array(size);
    for (let filled = 0; filled < size;) {
      const n = await source.read(body.subarray(filled));
      if (n === 0) throw shorter(label, size - filled);
      filled += n;
    }
    // A known size equal to the record's means the end is here; otherwise probe for more.
    if (!(await endsAt(source, size, new Uint8Array(1)))) throw longer(label);
    return body;
  } finally {
    await release(source);
  }
}

/** After `size` bytes: is that the end? A known size answers without another read. */
export async function endsAt(source: SizedSource, size: number, probe: Uint8Array): Promise<boolean> {
  if (source.size !== undefined) return source.size <= size;
  return (await source.read(probe)) === 0;
}

export function shorter(label: string, left: number): WharfError {
  return new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} is ${left} bytes shorter than recorded`);
}

export function longer(label: string): WharfError {
  return new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} is longer than recorded`);
}

/** Closes a file handle or cancels a stream adapter the getter gave us. */
export async function release(source: object): Promise<void> {
  const closable = source as { close?: () => Promise<void>; cancel?: () => Promise<void> };
  if (typeof closable.close === "function") await closable.close();
  else if (typeof closable.cancel === "function") await closable.cancel();
}

export function crcFailed(label: string): WharfError {
  return new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} fails its CRC-64 check`);
}
