/**
 * tar-split reassembly for getters that can read a file straight into a buffer (`readInto`):
 * each output chunk is built in one buffer (tarsplit-out.ts), where segments (decoded by the
 * WASM scanner) are copied and small files read in place. Files are checked
 * (CRC-64) inline in the engine window, or on a worker when one is offered. Large files are
 * streamed through. Errors and checks are those of the read-ahead path.
 *
 * Records are placed by a plain synchronous loop (RecordLoop) that stops only when the generator
 * has something to do (take a chunk, read input, stream a large file, await a read): the
 * generator stays small, which keeps V8's optimizing compile of it short and its frames few.
 */
import { toByteSource } from "../io/source.ts";
import { TarEngine } from "./engine.ts";
import { DuplicateGuard } from "./tarsplit.ts";
import { TAR_SPLIT_FILE } from "./tarsplit-json.ts";
import { TarSplitScanner } from "./tarsplit-scan.ts";
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

export function assembleInWindow(input: ReadableStream<Uint8Array>, getFile: TarSplitFileGetter, readInto: TarSplitReadInto, offload?: AssembleOffload): AsyncGenerator<Uint8Array> {
  // The reader is taken here, not in the hot generator: on Node every ReadableStream has a map
  // of its own, and touching one there would discard the generator's optimized code per layer.
  return assemble(input.getReader(), getFile, readInto, offload);
}

/** Why RecordLoop.run stopped. */
const NEED_INPUT = 0;
const TAKE = 1;
/** A segment larger than a chunk (`segment`): a chunk of its own. */
const OVERSIZED = 2;
/** A file larger than SMALL_FILE (`file`): streamed. */
const LARGE = 3;
/** A small file whose read did not complete in place (`file`, `read`). */
const READ = 4;
const PLACED = -1;

interface PendingFile {
  label: string;
  nameBytes: Uint8Array | undefined;
  size: number;
  expected: Uint8Array | null;
}

/** Places records into the chunk being built, synchronously, until the generator must act. */
class RecordLoop {
  /** The segment or file the loop stopped at: placed first on the next run unless taken. */
  segment: Uint8Array | undefined;
  file: PendingFile | undefined;
  /** For READ: where the file goes in the chunk, and what readInto answered. */
  at = 0;
  read: Promise<number | null | undefined> | undefined;
  private readonly guard = new DuplicateGuard();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  /** The expected CRC, copied: the scanner's views last only until its next record. */
  private readonly crc = new Uint8Array(8);

  constructor(private readonly lines: TarSplitScanner, private readonly out: ChunkOut, private readonly byName: WorkerOut | undefined, private readonly readInto: TarSplitReadInto) {}

  run(): number {
    const { lines, out } = this;
    if (out.fill >= OUT_CHUNK) return TAKE;
    if (this.segment) {
      const segment = this.segment;
      this.segment = undefined;
      const stop = this.placeSegment(segment);
      if (stop !== PLACED) return stop;
    }
    if (this.file) {
      const { label, nameBytes, size, expected } = this.file;
      this.file = undefined;
      const stop = this.placeFile(label, nameBytes, size, expected);
      if (stop !== PLACED) return stop;
    }
    while (lines.next()) {
      const rec = lines.rec;
      let stop: number;
      if (rec.type !== TAR_SPLIT_FILE) {
        stop = this.placeSegment(rec.payload);
      } else {
        let label: string;
        let nameBytes: Uint8Array | undefined;
        if (rec.ascii) {
          label = rec.name ?? "";
          this.guard.checkKey(label, label);
        } else {
          nameBytes = rec.nameRaw ?? this.encoder.encode(rec.name ?? "");
          label = rec.name ?? this.decoder.decode(nameBytes);
          this.guard.check(nameBytes, label);
        }
        if (rec.size === 0) continue;
        // Exactly 8 bytes, or whatever else the record holds (which then fails the check).
        let expected = rec.payload;
        if (expected?.length === 8) {
          this.crc.set(expected);
          expected = this.crc;
        }
        stop = this.placeFile(label, nameBytes, rec.size, expected);
      }
      if (stop !== PLACED) return stop;
    }
    return NEED_INPUT;
  }

  private placeSegment(payload: Uint8Array | null): number {
    const out = this.out;
    const n = payload?.length ?? 0;
    if (n === 0) return PLACED;
    this.segment = payload!;
    if (n > out.cap - out.fill && out.fill > 0) return TAKE;
    // Larger than a chunk (only the JSON path's, never a scanner view): a chunk of its own.
    if (n > out.cap) return OVERSIZED;
    this.segment = undefined;
    out.buf.set(payload!, out.fill);
    out.fill += n;
    return out.fill >= OUT_CHUNK ? TAKE : PLACED;
  }

  private placeFile(label: string, nameBytes: Uint8Array | undefined, size: number, expected: Uint8Array | null): number {
    const out = this.out;
    if (size > SMALL_FILE) {
      this.file = { label, nameBytes, size, expected };
      return LARGE;
    }
    if (size > out.cap - out.fill) {
      this.file = { label, nameBytes, size, expected };
      return TAKE;
    }
    const at = out.fill;
    if (this.byName) {
      this.byName.fileByName(at, size, expected, label);
    } else {
      const got = this.readInto(label, out.buf.subarray(at, at + size));
      if (typeof got !== "number" && got !== null) {
        // Not done in place: the generator awaits it, or fetches the file through the getter.
        this.file = { label, nameBytes, size, expected };
        this.at = at;
        this.read = got;
        return READ;
      }
      if (got === null) throw missing(label);
      if (got < size) throw shorter(label, size - got);
      out.file(at, size, expected, label);
    }
    out.fill += size;
    return out.fill >= OUT_CHUNK ? TAKE : PLACED;
  }

  /** Completes a READ stop: the file read by the getter's way when not in place. */
  async finishRead(getFile: TarSplitFileGetter): Promise<void> {
    const { label, nameBytes, size, expected } = this.file!;
    const { out, at } = this;
    const got = await this.read;
    this.file = undefined;
    this.read = undefined;
    if (got === null) throw missing(label);
    if (got === undefined) {
      out.buf.set(await readSmall(getFile, label, nameBytes ?? this.encoder.encode(label), size), at);
    } else if (got < size) {
      throw shorter(label, size - got);
    }
    out.file(at, size, expected, label);
    out.fill += size;
  }

  /** Takes the large file of a LARGE stop: the chunk so far, then the file, streamed and checked. */
  async *large(getFile: TarSplitFileGetter): AsyncGenerator<Uint8Array> {
    const { label, nameBytes, size, expected } = this.file!;
    this.file = undefined;
    const out = this.out;
    yield* out.take();
    if (this.byName) {
      yield* this.byName.streamByName(size, expected, label);
      return;
    }
    const content = await getFile(label, nameBytes ?? this.encoder.encode(label));
    if (content === null) throw missing(label);
    yield* out.stream(toByteSource(direct(content)), size, expected, label);
  }

  /** Takes the segment of an OVERSIZED stop. */
  oversized(): Uint8Array {
    const segment = this.segment!;
    this.segment = undefined;
    return segment;
  }
}

async function* assemble(reader: ReadableStreamDefaultReader<Uint8Array>, getFile: TarSplitFileGetter, readInto: TarSplitReadInto, offload?: AssembleOffload): AsyncGenerator<Uint8Array> {
  let out: ChunkOut;
  let lines: TarSplitScanner;
  try {
    // Only inline checks need an engine of this thread's own.
    out = offload ? new WorkerOut(offload.worker, offload.dir) : new WindowOut(await TarEngine.create());
    lines = await TarSplitScanner.create();
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  const loop = new RecordLoop(lines, out, out instanceof WorkerOut && out.dir !== undefined ? out : undefined, readInto);
  let inputDone = false;
  let failure: unknown;
  let ended = false;
  try {
    for (;;) {
      const stop = loop.run();
      if (stop === NEED_INPUT) {
        if (inputDone) break;
        const r = await reader.read();
        if (r.done) {
          inputDone = true;
          lines.finish();
        } else {
          lines.push(r.value);
        }
      } else if (stop === READ) {
        await loop.finishRead(getFile);
      } else {
        yield* stop === LARGE ? loop.large(getFile) : stop === OVERSIZED ? out.emit(loop.oversized()) : out.take();
      }
    }
    yield* finish(out);
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

async function* finish(out: ChunkOut): AsyncGenerator<Uint8Array> {
  yield* out.take();
  yield* out.drain();
}
