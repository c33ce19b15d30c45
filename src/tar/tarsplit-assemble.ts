/**
 * tar-split reassembly (`asm.NewOutputTarStream`): segments are written verbatim and each file's
 * content is read back by name, checked against its CRC-64/ISO. The output is the original tar.
 */
import { toByteSource } from "../io/source.ts";
import { TarEngine } from "./engine.ts";
import { DuplicateGuard } from "./tarsplit.ts";
import { TAR_SPLIT_FILE, type TarSplitRecord } from "./tarsplit-json.ts";
import { TarSplitScanner, type LineRecord } from "./tarsplit-scan.ts";
import { assembleInWindow, type AssembleOffload, type TarSplitReadInto } from "./tarsplit-fast.ts";
import { crcFailed, direct, endsAt, longer, missing, readSmall, release, shorter, type SizedSource, type TarSplitFileGetter } from "./tarsplit-common.ts";
import { concatBytes } from "../io/bytes.ts";

export type { TarSplitFileGetter } from "./tarsplit-common.ts";
export type { TarSplitReadInto } from "./tarsplit-fast.ts";

const READ_STEP = 1 << 20;

/** Splits a stream of JSON-lines bytes into records (each its own: payloads are copied out of the scanner). */
export async function* readTarSplitRecords(input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<TarSplitRecord> {
  const lines = await TarSplitScanner.create();
  try {
    for await (const chunk of chunksOf(input)) {
      lines.push(chunk);
      while (lines.next()) yield recordOf(lines.rec);
    }
    lines.finish();
    while (lines.next()) yield recordOf(lines.rec);
  } finally {
    lines.release();
  }
}

function recordOf(r: LineRecord): TarSplitRecord {
  return { type: r.type as TarSplitRecord["type"], name: r.name, nameRaw: r.nameRaw, size: r.size, payload: r.payload && r.payload.slice(), position: r.position };
}

/**
 * The exact length of the tar the records rebuild (segment bytes plus file sizes), read without
 * decoding payloads: `docker save` needs it for the layer.tar header before streaming the layer.
 */
export async function tarSplitTarLength(input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const lines = await TarSplitScanner.create();
  try {
    let length = 0;
    for await (const chunk of chunksOf(input)) {
      lines.push(chunk);
      length += lines.lengthOf();
    }
    lines.finish();
    return length + lines.lengthOf();
  } finally {
    lines.release();
  }
}

function chunksOf(input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return input instanceof ReadableStream ? streamChunks(input) : input;
}

async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    while (true) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/** Rebuilds the exact tar bytes from records and file contents. */
export function assembleTar(
  records: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | AsyncIterable<TarSplitRecord>,
  getFile: TarSplitFileGetter,
  readInto?: TarSplitReadInto,
  offload?: AssembleOffload,
): ReadableStream<Uint8Array> {
  // A getter that reads into a buffer takes the in-place path; others the read-ahead one.
  const parts = readInto && records instanceof ReadableStream ? assembleInWindow(records, getFile, readInto, offload) : assembleParts(records, getFile);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await parts.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await parts.return(undefined);
    },
  });
}

async function* recordsOf(input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | AsyncIterable<TarSplitRecord>): AsyncGenerator<TarSplitRecord> {
  if (input instanceof ReadableStream) {
    yield* readTarSplitRecords(input);
    return;
  }
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest: AsyncIterable<Uint8Array | TarSplitRecord> = { [Symbol.asyncIterator]: () => iterator };
  if (first.value instanceof Uint8Array) {
    yield* readTarSplitRecords((async function* () {
      yield first.value as Uint8Array;
      for await (const c of rest) yield c as Uint8Array;
    })());
    return;
  }
  yield first.value;
  for await (const r of rest) yield r as TarSplitRecord;
}

/** Files up to this size are read ahead whole, concurrently; larger ones are streamed in order. */
const SMALL_FILE = 1 << 20;
/** Read-ahead bounds: files queued past the one being written, and their bytes. */
const AHEAD_FILES = 32;
const AHEAD_BYTES = 16 << 20;
/** Output chunk: segments and small files are gathered into chunks of about this size. */
const OUT_CHUNK = 1 << 20;

type Job =
  | { kind: "bytes"; data: Uint8Array }
  | { kind: "error"; error: unknown }
  | { kind: "small"; label: string; size: number; crc: Uint8Array | null; body: Promise<Uint8Array> }
  | { kind: "large"; label: string; nameBytes: Uint8Array; size: number; crc: Uint8Array | null };

/**
 * Records are read ahead of the output: small files are fetched concurrently (bounded in count
 * and bytes) while earlier ones are written, large ones streamed when their turn comes. Output
 * order, errors (raised when their record's turn comes) and CRC checks are as if read in turn.
 */
async function* assembleParts(
  input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | AsyncIterable<TarSplitRecord>,
  getFile: TarSplitFileGetter,
): AsyncGenerator<Uint8Array> {
  const engine = await TarEngine.create();
  const guard = new DuplicateGuard();
  const records = recordsOf(input);
  const queue: Job[] = [];
  let head = 0;
  let aheadFiles = 0;
  let aheadBytes = 0;
  let recordsDone = false;
  const out: Uint8Array[] = [];
  let outBytes = 0;
  const flush = (): Uint8Array => {
    const chunk = concat(out);
    out.length = 0;
    outBytes = 0;
    return chunk;
  };

  const enqueue = (rec: TarSplitRecord): void => {
    if (rec.type !== TAR_SPLIT_FILE) {
      if (rec.payload && rec.payload.length > 0) queue.push({ kind: "bytes", data: rec.payload });
      return;
    }
    const nameBytes = rec.nameRaw ?? new TextEncoder().encode(rec.name ?? "");
    const label = rec.name ?? new TextDecoder().decode(nameBytes);
    try {
      guard.check(nameBytes, label);
    } catch (error) {
      queue.push({ kind: "error", error });
      return;
    }
    const size = rec.size ?? 0;
    if (size === 0) return;
    aheadFiles++;
    if (size > SMALL_FILE) {
      queue.push({ kind: "large", label, nameBytes, size, crc: rec.payload });
      return;
    }
    aheadBytes += size;
    const body = readSmall(getFile, label, nameBytes, size);
    body.catch(() => {}); // raised when its turn comes (or never, if the output stops before)
    queue.push({ kind: "small", label, size, crc: rec.payload, body });
  };

  const fill = async (): Promise<void> => {
    while (!recordsDone && (aheadFiles === 0 || (aheadFiles < AHEAD_FILES && aheadBytes < AHEAD_BYTES))) {
      const next = await records.next();
      if (next.done) recordsDone = true;
      else enqueue(next.value);
    }
  };

  try {
    for (;;) {
      await fill();
      if (head === queue.length) break;
      const job = queue[head]!;
      queue[head++] = undefined as unknown as Job;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      if (job.kind === "bytes") {
        out.push(job.data);
        outBytes += job.data.length;
      } else if (job.kind === "error") {
        throw job.error;
      } else if (job.kind === "small") {
        aheadFiles--;
        aheadBytes -= job.size;
        const body = await job.body;
        checkCrc(engine, body, job.crc, job.label);
        out.push(body);
        outBytes += body.length;
      } else {
        aheadFiles--;
        if (outBytes > 0) yield flush();
        const content = await getFile(job.label, job.nameBytes);
        if (content === null) throw missing(job.label);
        const source: SizedSource = toByteSource(direct(content));
        try {
          yield* copyChecked(engine, source, job.size, job.crc, job.label);
        } finally {
          await release(source);
        }
      }
      if (outBytes >= OUT_CHUNK) yield flush();
    }
    if (outBytes > 0) yield flush();
  } finally {
    await records.return(undefined);
  }
}





/** Checks a whole body against its recorded CRC, through the engine window. */
function checkCrc(engine: TarEngine, body: Uint8Array, expected: Uint8Array | null, label: string): void {
  const window = engine.window;
  const step = Math.min(window.length, READ_STEP);
  let crc = 0n;
  for (let at = 0; at < body.length; at += step) {
    const part = body.subarray(at, Math.min(at + step, body.length));
    window.set(part, 0);
    crc = engine.crcWindow(crc, 0, part.length);
  }
  verifyCrc(crc, expected, label);
}

function verifyCrc(crc: bigint, expected: Uint8Array | null, label: string): void {
  const got = new DataView(new ArrayBuffer(8));
  got.setBigUint64(0, crc, false);
  const gotBytes = new Uint8Array(got.buffer);
  if (!expected || expected.length !== 8 || !gotBytes.every((b, i) => b === expected[i])) throw crcFailed(label);
}

/** Streams `size` bytes of a file through the engine window, checking its CRC. */
async function* copyChecked(engine: TarEngine, source: SizedSource, size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array> {
  const window = engine.window;
  let crc = 0n;
  let left = size;
  while (left > 0) {
    const n = await source.read(window.subarray(0, Math.min(left, READ_STEP)));
    if (n === 0) throw shorter(label, left);
    crc = engine.crcWindow(crc, 0, n);
    left -= n;
    yield window.slice(0, n);
  }
  if (!(await endsAt(source, size, window.subarray(0, 1)))) throw longer(label);
  verifyCrc(crc, expected, label);
}
