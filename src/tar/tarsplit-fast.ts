/**
 * tar-split reassembly for getters that can read a file straight into a buffer (`readInto`):
 * each output chunk is built in one buffer (tarsplit-out.ts), where segments (decoded by the
 * WASM scanner) are copied and small files read in place. Files are checked
 * (CRC-64) inline in the engine window, or on a worker when one is offered. Large files are
 * streamed through. Errors and checks are those of the read-ahead path.
 */
import { toByteSource } from "../io/source.ts";
import { TarEngine } from "./engine.ts";
import { DuplicateGuard } from "./tarsplit.ts";
import { TAR_SPLIT_FILE } from "./tarsplit-json.ts";
import { TarSplitScanner, type LineRecord } from "./tarsplit-scan.ts";
import { direct, missing, readSmall, shorter, type TarSplitFileGetter } from "./tarsplit-common.ts";
import { WindowOut, WorkerOut, type ChunkOut } from "./tarsplit-out.ts";
import type { CrcOffload } from "../worker/crc-offload.ts";

/**
 * Reads the regular file `name` of the layer into `into` when it fits: the byte count (fewer
 * than `into.length` if the file is shorter), null when there is no such file, undefined to
 * fetch it through the getter instead (e.g. it is larger). May answer with a promise.
 */
export type TarSplitReadInto = (name: string, into: Uint8Array) => number | null | undefined | Promise<number | null | undefined>;

/** Files up to this size are read whole into the chunk. */
const SMALL_FILE = 1 << 20;
/** A chunk leaves once it holds this much. */
const OUT_CHUNK = 1 << 20;

/** A worker to check (and, given the layer's `dir`, read) files on. */
export interface AssembleOffload {
  worker: CrcOffload;
  dir?: string;
}

export async function* assembleInWindow(input: ReadableStream<Uint8Array>, getFile: TarSplitFileGetter, readInto: TarSplitReadInto, offload?: AssembleOffload): AsyncGenerator<Uint8Array> {
  // Only inline checks need an engine of this thread's own.
  const out: ChunkOut = offload ? new WorkerOut(offload.worker, offload.dir) : new WindowOut(await TarEngine.create());
  const byName = out instanceof WorkerOut && out.dir !== undefined ? out : undefined;
  const guard = new DuplicateGuard();
  const lines = await TarSplitScanner.create();
  const reader = input.getReader();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const crc = new Uint8Array(8);
  let inputDone = false;
  /** The expected CRC: 8 bytes, or whatever else the record holds (which then fails the check). */
  const expectedCrc = (rec: LineRecord): Uint8Array | null => {
    if (rec.payload?.length !== 8) return rec.payload;
    crc.set(rec.payload); // the scanner's views last only until its next record
    return crc;
  };

  let failure: unknown;
  let ended = false;
  try {
    for (;;) {
      if (!lines.next()) {
        if (inputDone) break;
        const r = await reader.read();
        if (r.done) {
          inputDone = true;
          lines.finish();
        } else {
          lines.push(r.value);
        }
        continue;
      }
      const rec = lines.rec;
      if (rec.type !== TAR_SPLIT_FILE) {
        const n = rec.payload?.length ?? 0;
        if (n === 0) continue;
        if (n > out.cap - out.fill && out.fill > 0) yield* out.take();
        if (n <= out.cap) {
          out.buf.set(rec.payload!, out.fill);
          out.fill += n;
        } else {
          yield* out.emit(rec.payload!); // larger than a chunk (only the JSON path's, never a scanner view): a chunk of its own
        }
        if (out.fill >= OUT_CHUNK) yield* out.take();
        continue;
      }

      let label: string;
      let nameBytes: Uint8Array | undefined;
      if (rec.ascii) {
        label = rec.name ?? "";
        guard.checkKey(label, label);
      } else {
        nameBytes = rec.nameRaw ?? encoder.encode(rec.name ?? "");
        label = rec.name ?? decoder.decode(nameBytes);
        guard.check(nameBytes, label);
      }
      const size = rec.size;
      if (size === 0) continue;
      const expected = expectedCrc(rec);
      if (size <= SMALL_FILE) {
        if (size > out.cap - out.fill) yield* out.take();
        const at = out.fill;
        if (byName) {
          byName.fileByName(at, size, expected, label);
          out.fill += size;
          if (out.fill >= OUT_CHUNK) yield* out.take();
          continue;
        }
        let got = readInto(label, out.buf.subarray(at, at + size));
        if (got instanceof Promise) got = await got;
        if (got === null) throw missing(label);
        if (got === undefined) {
          // Not served in place: the getter's way, into the chunk all the same.
          const body = await readSmall(getFile, label, nameBytes ?? encoder.encode(label), size);
          out.buf.set(body, at);
        } else if (got < size) {
          throw shorter(label, size - got);
        }
        out.file(at, size, expected, label);
        out.fill += size;
      } else {
        yield* out.take();
        const content = await getFile(label, nameBytes ?? encoder.encode(label));
        if (content === null) throw missing(label);
        yield* out.stream(toByteSource(direct(content)), size, expected, label);
      }
      if (out.fill >= OUT_CHUNK) yield* out.take();
    }
    yield* out.take();
    yield* out.drain();
    ended = true;
  } catch (e) {
    failure = e;
    ended = true;
  } finally {
    lines.release();
    if (!inputDone) await reader.cancel().catch(() => {});
    reader.releaseLock();
    // Stopped by the consumer: nothing more will be read, and no error is wanted.
    if (!ended) await out.close().catch(() => {});
  }
  await out.close(failure);
}
