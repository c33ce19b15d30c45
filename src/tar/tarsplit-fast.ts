/**
 * tar-split reassembly for getters that can read a file straight into a buffer (`readInto`):
 * the output chunk is built in the engine window, where segments are base64-decoded and small
 * files read in place, so each byte is checked (CRC-64) where it lands and copied once, when
 * the chunk leaves. Large files stream through two halves of the window, the next read running
 * while the last one is checked. Errors and checks are those of the read-ahead path.
 */
import { toByteSource } from "../io/source.ts";
import { TarEngine } from "./engine.ts";
import { DuplicateGuard } from "./tarsplit.ts";
import { TAR_SPLIT_FILE } from "./tarsplit-json.ts";
import { base64DecodeInto, base64Length, lenientPayload, payloadOf, TarSplitLines, type LineRecord } from "./tarsplit-lines.ts";
import { crcFailed, direct, endsAt, longer, missing, readSmall, release, shorter, type SizedSource, type TarSplitFileGetter } from "./tarsplit-common.ts";

/**
 * Reads the regular file `name` of the layer into `into` when it fits: the byte count (fewer
 * than `into.length` if the file is shorter), null when there is no such file, undefined to
 * fetch it through the getter instead (e.g. it is larger). May answer with a promise.
 */
export type TarSplitReadInto = (name: string, into: Uint8Array) => number | null | undefined | Promise<number | null | undefined>;

/** Files up to this size are read whole into the window. */
const SMALL_FILE = 1 << 20;
/** A chunk leaves once it holds this much. */
const OUT_CHUNK = 1 << 20;

export async function* assembleInWindow(input: ReadableStream<Uint8Array>, getFile: TarSplitFileGetter, readInto: TarSplitReadInto): AsyncGenerator<Uint8Array> {
  const engine = await TarEngine.create();
  const window = engine.window;
  const cap = window.length;
  const guard = new DuplicateGuard();
  const lines = new TarSplitLines();
  const reader = input.getReader();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const crc = new Uint8Array(8);
  let inputDone = false;
  let fill = 0;
  const flush = (): Uint8Array => {
    const chunk = window.slice(0, fill);
    fill = 0;
    return chunk;
  };
  /** The record's payload decoded into the window at `fill`, or -1 when it does not fit. */
  const decodeHere = (rec: LineRecord, n: number): number => {
    if (n > cap - fill) return -1;
    if (base64DecodeInto(rec.src, rec.b64Start, rec.b64End, window, fill) === n) return n;
    const payload = lenientPayload(rec)!;
    window.set(payload, fill);
    return payload.length;
  };
  /** The expected CRC: 8 bytes, or whatever else the record holds (which then fails the check). */
  const expectedCrc = (rec: LineRecord): Uint8Array | null => {
    if (rec.b64Start >= 0 && base64Length(rec.src, rec.b64Start, rec.b64End) === 8 && base64DecodeInto(rec.src, rec.b64Start, rec.b64End, crc, 0) === 8) return crc;
    return payloadOf(rec);
  };

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
        const n = rec.b64Start >= 0 ? base64Length(rec.src, rec.b64Start, rec.b64End) : rec.payload?.length ?? 0;
        if (n === 0) continue;
        if (n > cap - fill && fill > 0) yield flush();
        if (rec.b64Start >= 0) {
          const got = decodeHere(rec, n);
          if (got >= 0) fill += got;
          else yield payloadOf(rec)!; // larger than the window: a chunk of its own
        } else if (n <= cap) {
          window.set(rec.payload!, fill);
          fill += n;
        } else {
          yield rec.payload!;
        }
        if (fill >= OUT_CHUNK) yield flush();
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
        if (size > cap - fill) yield flush();
        let got = readInto(label, window.subarray(fill, fill + size));
        if (got instanceof Promise) got = await got;
        if (got === null) throw missing(label);
        if (got === undefined) {
          // Not served in place: the getter's way, into the window all the same.
          const body = await readSmall(getFile, label, nameBytes ?? encoder.encode(label), size);
          window.set(body, fill);
        } else if (got < size) {
          throw shorter(label, size - got);
        }
        engine.crcStart();
        engine.crcAdd(fill, size);
        if (!engine.crcIs(expected)) throw crcFailed(label);
        fill += size;
      } else {
        if (fill > 0) yield flush();
        const content = await getFile(label, nameBytes ?? encoder.encode(label));
        if (content === null) throw missing(label);
        yield* streamFile(engine, toByteSource(direct(content)), size, expected, label);
      }
      if (fill >= OUT_CHUNK) yield flush();
    }
    if (fill > 0) yield flush();
  } finally {
    if (!inputDone) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Streams a large file through the two window halves: a read fills one while the other is checked and copied out. */
async function* streamFile(engine: TarEngine, source: SizedSource, size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array> {
  const window = engine.window;
  const half = window.length >> 1;
  let left = size;
  let slot = 0;
  let pending: Promise<number> | undefined = source.read(window.subarray(0, Math.min(left, half)));
  engine.crcStart();
  try {
    while (left > 0) {
      const n = await pending!;
      pending = undefined;
      if (n === 0) throw shorter(label, left);
      const at = slot * half;
      engine.crcAdd(at, n);
      left -= n;
      if (left > 0) {
        slot ^= 1;
        pending = source.read(window.subarray(slot * half, slot * half + Math.min(left, half)));
      }
      yield window.slice(at, at + n);
    }
    if (!(await endsAt(source, size, window.subarray(0, 1)))) throw longer(label);
    if (!engine.crcIs(expected)) throw crcFailed(label);
  } finally {
    if (pending) await pending.catch(() => 0);
    await release(source);
  }
}
