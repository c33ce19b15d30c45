/**
 * tar-split reassembly (`asm.NewOutputTarStream`): segments are written verbatim and each file's
 * content is read back by name, checked against its CRC-64/ISO. The output is the original tar.
 */
import { WharfError } from "../errors.ts";
import { toByteSource, type ByteInput } from "../io/source.ts";
import { TarEngine } from "./engine.ts";
import { DuplicateGuard } from "./tarsplit.ts";
import { decodeRecord, TAR_SPLIT_FILE, type TarSplitRecord } from "./tarsplit-json.ts";
import { concatBytes } from "../io/bytes.ts";

/** Opens a file's content by its record name; null when it does not exist. */
export type TarSplitFileGetter = (name: string, nameBytes: Uint8Array) => Promise<ByteInput | null> | ByteInput | null;

const READ_STEP = 1 << 20;

/** Splits a stream of JSON-lines bytes into records. */
export async function* readTarSplitRecords(input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<TarSplitRecord> {
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  const iterable = input instanceof ReadableStream ? streamChunks(input) : input;
  for await (const chunk of iterable) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      pending.push(chunk.subarray(from, nl));
      const line = decoder.decode(concat(pending));
      pending = [];
      from = nl + 1;
      if (line.length > 0) yield decodeRecord(line);
    }
    if (from < chunk.length) pending.push(chunk.slice(from));
  }
  const last = decoder.decode(concat(pending));
  if (last.trim().length > 0) yield decodeRecord(last);
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
): ReadableStream<Uint8Array> {
  const parts = assembleParts(records, getFile);
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

async function* assembleParts(
  input: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | AsyncIterable<TarSplitRecord>,
  getFile: TarSplitFileGetter,
): AsyncGenerator<Uint8Array> {
  const engine = await TarEngine.create();
  const guard = new DuplicateGuard();
  for await (const rec of recordsOf(input)) {
    if (rec.type !== TAR_SPLIT_FILE) {
      if (rec.payload && rec.payload.length > 0) yield rec.payload;
      continue;
    }
    const nameBytes = rec.nameRaw ?? new TextEncoder().encode(rec.name ?? "");
    const label = rec.name ?? new TextDecoder().decode(nameBytes);
    guard.check(nameBytes, label);
    const size = rec.size ?? 0;
    if (size === 0) continue;
    const content = await getFile(label, nameBytes);
    if (content === null) throw new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} is missing`);
    const source = toByteSource(content);
    try {
      yield* copyChecked(engine, source, size, rec.payload, label);
    } finally {
      await release(source);
    }
  }
}

/** Closes a file handle or cancels a stream adapter the getter gave us. */
async function release(source: object): Promise<void> {
  const closable = source as { close?: () => Promise<void>; cancel?: () => Promise<void> };
  if (typeof closable.close === "function") await closable.close();
  else if (typeof closable.cancel === "function") await closable.cancel();
}

/** Streams `size` bytes of a file through the engine window, checking its CRC. */
async function* copyChecked(engine: TarEngine, source: ReturnType<typeof toByteSource>, size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array> {
  const window = engine.window;
  let crc = 0n;
  let left = size;
  while (left > 0) {
    const n = await source.read(window.subarray(0, Math.min(left, READ_STEP)));
    if (n === 0) throw new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} is ${left} bytes shorter than recorded`);
    crc = engine.crcWindow(crc, 0, n);
    left -= n;
    yield window.slice(0, n);
  }
  if ((await source.read(window.subarray(0, 1))) > 0) {
    throw new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} is longer than recorded`);
  }
  const got = new DataView(new ArrayBuffer(8));
  got.setBigUint64(0, crc, false);
  const gotBytes = new Uint8Array(got.buffer);
  if (!expected || expected.length !== 8 || !gotBytes.every((b, i) => b === expected[i])) {
    throw new WharfError("TAR_SPLIT", `tar-split: file ${JSON.stringify(label)} fails its CRC-64 check`);
  }
}
