/**
 * gzip decoding: the runtime's native codec when the port has one, else fflate's streaming
 * Gunzip. The web-standard DecompressionStream("gzip") is not used: Chromium and Deno reject a
 * second gzip member as "junk", and layers may be multi-member. Errors surface as one-line
 * COMPRESSION errors.
 */
import { Gunzip } from "fflate";
import type { CompressionPort } from "../ports.ts";
import { compressionError, mapErrors } from "./errors.ts";
import { Crc32 } from "./crc32.ts";

export function gunzipStream(port: CompressionPort): TransformStream<Uint8Array, Uint8Array> {
  if (port.gunzip) return mapErrors(port.gunzip(), "gzip");
  return portableGunzip();
}

/**
 * Pure-JS gzip decoder; decodes every member of a multi-member stream. fflate checks neither
 * CRC-32 nor ISIZE, so each member's trailer is checked here: fflate reports where each next
 * member starts (after emitting all of the previous one), and the trailer is the 8 bytes before.
 */
export function portableGunzip(): TransformStream<Uint8Array, Uint8Array> {
  let controllerRef: TransformStreamDefaultController<Uint8Array> | undefined;
  let sawInput = false;
  let sawEnd = false;
  let crc = new Crc32();
  let memberSize = 0;
  // Input seen so far, as much as a trailer lookup can need: the last 8 bytes before `chunk`.
  let window: Uint8Array = new Uint8Array(0);
  let windowStart = 0;

  const checkTrailer = (trailerStart: number): void => {
    const at = trailerStart - windowStart;
    if (at < 0 || at + TRAILER_SIZE > window.length) throw new Error("gzip trailer missing");
    const view = new DataView(window.buffer, window.byteOffset + at, TRAILER_SIZE);
    if (view.getUint32(0, true) !== crc.value()) throw new Error("CRC-32 mismatch");
    if (view.getUint32(4, true) !== memberSize % 0x1_0000_0000) throw new Error("ISIZE mismatch");
    crc = new Crc32();
    memberSize = 0;
  };
  const decoder = new Gunzip((chunk, final) => {
    if (chunk.length > 0) {
      crc.update(chunk);
      memberSize += chunk.length;
      controllerRef?.enqueue(chunk);
    }
    if (final) sawEnd = true;
  });
  decoder.onmember = (offset) => checkTrailer(offset - TRAILER_SIZE);

  const push = (chunk: Uint8Array, final: boolean): void => {
    const keep = window.subarray(Math.max(0, window.length - TRAILER_SIZE));
    windowStart += window.length - keep.length;
    window = concat(keep, chunk);
    try {
      decoder.push(chunk, final);
      if (final && sawInput) {
        if (!sawEnd) throw new Error("unexpected end of data");
        checkTrailer(windowStart + window.length - TRAILER_SIZE);
      }
    } catch (error) {
      throw compressionError("gzip", error);
    }
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controllerRef = controller;
    },
    transform(chunk) {
      if (chunk.length === 0) return;
      sawInput = true;
      push(chunk, false);
    },
    flush() {
      push(new Uint8Array(0), true);
    },
  });
}

const TRAILER_SIZE = 8;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
