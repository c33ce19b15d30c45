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

/**
 * Disassembles a tar stream entry by entry, handing each record to `emit` as soon as it is known:
 * an entry's header segment before `onEntry` sees it, its file record after. A plain loop over
 * `step()`, not a generator, because a layer has tens of thousands of entries and each yield of
 * an async generator allocates. With `transient`, `emit` must be done with a record when it
 * returns: payloads are then views of buffers reused for the next one (no copy per entry).
 */
export class TarSplitter {
  private readonly reader: TarReader;
  private readonly guard = new DuplicateGuard();
  private position = 0;
  private trailing: AsyncIterator<Uint8Array> | undefined;
  private done = false;

  /** The CRC payload of a file record, rewritten for each one when `transient`. */
  private readonly crcBytes = new Uint8Array(8);
  private readonly crcView = new DataView(this.crcBytes.buffer);

  constructor(
    input: ByteInput,
    private readonly emit: (record: TarSplitRecord) => void,
    private readonly onEntry?: TarSplitOptions["onEntry"],
    private readonly transient = false,
  ) {
    this.reader = new TarReader(input, { rawAccounting: true, crc: true });
  }

  /** Records the next entry, or after the last the end marker, then what follows it a chunk at a time; false once all is recorded. */
  async step(): Promise<boolean> {
    if (this.done) return false;
    if (!this.trailing) {
      const entry = await this.reader.next();
      if (entry) {
        await this.record(entry);
        return true;
      }
      // The end marker (with the last entry's padding), then everything after it.
      const endBytes = this.rawBytes();
      if (endBytes.length > 0) this.segment(endBytes);
      this.trailing = this.reader.trailing(TRAILING_CHUNK);
      return true;
    }
    const next = await this.trailing.next();
    if (!next.done) {
      this.segment(this.transient ? next.value : next.value.slice());
      return true;
    }
    this.segment(new Uint8Array(0)); // tar-split records the read that hit EOF too
    this.done = true;
    return false;
  }

  private async record(entry: TarEntry): Promise<void> {
    const headerBytes = this.rawBytes();
    if (headerBytes.length > 0) this.segment(headerBytes);
    const applied = this.onEntry?.(entry);
    if (applied) await applied;
    const crc = entry.crc64Sync() ?? (await entry.crc64());
    const { header } = entry;
    const ascii = isAscii(header.nameBytes);
    const utf8 = ascii || isValidUtf8(header.nameBytes);
    if (ascii) this.guard.checkKey(header.name, header.name); // an ASCII name is its own byte string
    else this.guard.check(header.nameBytes, header.name);
    this.emit({
      type: TAR_SPLIT_FILE,
      name: utf8 ? header.name : undefined,
      nameRaw: utf8 ? undefined : header.nameBytes,
      size: header.size,
      payload: header.size > 0 ? this.crcPayload(crc) : null,
      position: this.position++,
    });
  }

  private rawBytes(): Uint8Array {
    return this.transient ? this.reader.rawView() : this.reader.rawBytes();
  }

  private crcPayload(crc: bigint): Uint8Array {
    if (!this.transient) return crc64Bytes(crc);
    this.crcView.setBigUint64(0, crc, false);
    return this.crcBytes;
  }

  private segment(payload: Uint8Array): void {
    this.emit({ type: TAR_SPLIT_SEGMENT, payload, position: this.position++ });
  }
}

/** The records for a tar stream, in order. */
export async function* tarSplitRecords(input: ByteInput, options: TarSplitOptions = {}): AsyncGenerator<TarSplitRecord> {
  const records: TarSplitRecord[] = [];
  const splitter = new TarSplitter(input, (record) => records.push(record), options.onEntry);
  for (let more = true; more; ) {
    more = await splitter.step();
    yield* records.splice(0);
  }
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
