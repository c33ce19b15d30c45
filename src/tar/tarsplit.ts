/**
 * tar-split disassembly: records a layer tar as Docker does (vbatts/tar-split
 * `asm.NewInputTarStream` as in Docker 20.10) while the entries pass by. Segments carry the raw
 * header bytes and padding; file records carry name, size and the body's CRC-64/ISO.
 */
import { WharfError } from "../errors.ts";
import type { ByteInput } from "../io/source.ts";
import { crc64Bytes } from "./crc64.ts";
import { isAscii, isValidUtf8 } from "./header.ts";
import { cleanPath } from "../format/go-path.ts";
import { TarReader, type TarEntry } from "./reader.ts";
import { byteString, encodeRecord, TAR_SPLIT_FILE, TAR_SPLIT_SEGMENT, type TarSplitRecord } from "./tarsplit-json.ts";

/** tar-split reads what follows the end marker in chunks of this size. */
const TRAILING_CHUNK = 1 << 20;

export interface TarSplitOptions {
  /**
   * Sees each entry before its record is written, e.g. to extract it. It may read the body
   * (`entry.chunks()`, views valid until the next pull); whatever it leaves is read for the CRC.
   */
  onEntry?: (entry: TarEntry) => Promise<void> | void;
}

/** Rejects a second file with the same cleaned path, as tar-split's packer does. */
export class DuplicateGuard {
  private readonly seen = new Set<string>();
  check(nameBytes: Uint8Array, label: string): void {
    this.checkKey(byteString(nameBytes), label);
  }

  /** `check` for a name already as a byte string (one char per byte, e.g. an ASCII name). */
  checkKey(byteName: string, label: string): void {
    const key = cleanPath(byteName);
    if (this.seen.has(key)) throw new WharfError("TAR_SPLIT", `tar-split: duplicate path ${JSON.stringify(label)}`);
    this.seen.add(key);
  }
}

/** The records for a tar stream, in order. */
export async function* tarSplitRecords(input: ByteInput, options: TarSplitOptions = {}): AsyncGenerator<TarSplitRecord> {
  const reader = new TarReader(input, { rawAccounting: true, crc: true });
  const guard = new DuplicateGuard();
  let position = 0;
  const segment = (payload: Uint8Array): TarSplitRecord => ({ type: TAR_SPLIT_SEGMENT, payload, position: position++ });
  while (true) {
    const entry = await reader.next();
    if (!entry) break;
    const headerBytes = reader.rawBytes();
    if (headerBytes.length > 0) yield segment(headerBytes);
    await options.onEntry?.(entry);
    const crc = await entry.crc64();
    const { header } = entry;
    const ascii = isAscii(header.nameBytes);
    const utf8 = ascii || isValidUtf8(header.nameBytes);
    if (ascii) guard.checkKey(header.name, header.name); // an ASCII name is its own byte string
    else guard.check(header.nameBytes, header.name);
    yield {
      type: TAR_SPLIT_FILE,
      name: utf8 ? header.name : undefined,
      nameRaw: utf8 ? undefined : header.nameBytes,
      size: header.size,
      payload: header.size > 0 ? crc64Bytes(crc) : null,
      position: position++,
    };
  }
  // The end marker (with the last entry's padding), then everything after it.
  const endBytes = reader.rawBytes();
  if (endBytes.length > 0) yield segment(endBytes);
  for await (const chunk of reader.trailing(TRAILING_CHUNK)) yield segment(chunk.slice());
  yield segment(new Uint8Array(0)); // tar-split records the read that hit EOF too
}

/** The record stream as JSON lines (the caller gzips it into `tar-split.json.gz`). */
export function tarSplitStream(input: ByteInput, options: TarSplitOptions = {}): ReadableStream<Uint8Array> {
  const records = tarSplitRecords(input, options);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await records.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(encodeRecord(next.value)));
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await records.return(undefined);
    },
  });
}
