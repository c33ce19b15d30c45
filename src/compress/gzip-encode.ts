/**
 * Reproducible gzip encoding: the same input and level give the same bytes on Node, Deno, Bun
 * and in browsers (blob digests depend on it). Native zlibs differ between runtimes, so the raw
 * deflate stream comes from the WebAssembly zlib of @zip.js/zip.js, reached through its public
 * ZipWriter (it exports no bare deflate stream): one entry is written into a private sink whose
 * local file header is skipped and whose data descriptor and central directory are dropped.
 * The gzip container around it is ours, fixed like Go's compress/gzip writes it.
 */
import { WharfError } from "../errors.ts";
import { Crc32 } from "./crc32.ts";

export const DEFAULT_GZIP_LEVEL = 6;

export interface GzipEncodeOptions {
  /** zlib level 1 (fastest) … 9 (smallest); default 6, zlib's and Go's default. */
  level?: number;
}

/** Refuses construction so zip.js can never swap in the runtime's native CompressionStream. */
class NativeCompressionRefused {
  readonly readable: ReadableStream;
  readonly writable: WritableStream;
  constructor() {
    throw new WharfError("COMPRESSION", "zip.js WebAssembly deflate unavailable; refusing the runtime's native codec (output would differ per runtime)");
  }
}

type ZipJs = typeof import("@zip.js/zip.js");
let zipJs: Promise<ZipJs> | undefined;

/** zip.js is loaded on the first encode only: most commands never compress, and start-up counts. */
function loadZipJs(): Promise<ZipJs> {
  zipJs ??= import("@zip.js/zip.js").then((lib) => {
    lib.configure({ useWebWorkers: false, useCompressionStream: false, CompressionStream: NativeCompressionRefused });
    return lib;
  });
  return zipJs;
}

export function gzipEncode(options: GzipEncodeOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const level = options.level ?? DEFAULT_GZIP_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new WharfError("INVALID_ARGUMENT", `gzip level must be an integer from 1 to 9, got ${level}`);
  }

  const crc = new Crc32();
  let inputSize = 0;
  const input = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      crc.update(chunk);
      inputSize += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const output = new TransformStream<Uint8Array, Uint8Array>();
  const out = output.writable.getWriter();
  const extractor = new DeflateExtractor(out);

  const run = async (): Promise<void> => {
    const { ZipWriter } = await loadZipJs();
    await out.write(gzipHeader(level));
    const zip = new ZipWriter(extractor.sink, {
      level,
      useWebWorkers: false,
      useCompressionStream: false,
      zip64: true,
      dataDescriptor: true,
      extendedTimestamp: false,
      lastModDate: new Date(2000, 0, 1),
    });
    const entry = await zip.add("-", input.readable);
    if (entry.compressionMethod !== 8) {
      throw new WharfError("COMPRESSION", `zip.js stored the data with method ${entry.compressionMethod} instead of deflate`);
    }
    await extractor.finish(entry.compressedSize);
    await zip.close();
    await out.write(gzipTrailer(crc.value(), inputSize));
    await out.close();
  };
  run().catch((error: unknown) => {
    const failure = error instanceof WharfError ? error : new WharfError("COMPRESSION", `gzip encode failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    out.abort(failure).catch(() => {});
    input.readable.cancel(failure).catch(() => {});
  });
  return { writable: input.writable, readable: output.readable };
}

/** Go's compress/gzip header: no name, mtime 0, XFL by level, OS 255 (unknown). */
function gzipHeader(level: number): Uint8Array {
  const xfl = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255);
}

function gzipTrailer(crc: number, size: number): Uint8Array {
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc, true);
  view.setUint32(4, size % 0x1_0000_0000, true); // ISIZE is the length modulo 2^32
  return trailer;
}

const LOCAL_HEADER_SIZE = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
/** Bytes held back until the compressed size is known: a zip64 data descriptor is 24. */
const HOLD_BACK = 64;

/**
 * Receives the zip bytes, skips the local file header, forwards the deflate data and keeps the
 * last HOLD_BACK bytes back until the entry's compressed size is known.
 */
class DeflateExtractor {
  readonly sink: WritableStream<Uint8Array>;
  private header: Uint8Array = new Uint8Array(0);
  private headerSize = -1;
  private held: Uint8Array = new Uint8Array(0);
  private forwarded = 0;
  private done = false;

  constructor(private readonly out: WritableStreamDefaultWriter<Uint8Array>) {
    this.sink = new WritableStream<Uint8Array>({ write: (chunk) => this.receive(chunk) });
  }

  private async receive(chunk: Uint8Array): Promise<void> {
    if (this.done) return; // central directory and end records
    let data = chunk;
    if (this.headerSize < 0 || this.header.length < this.headerSize) {
      data = this.takeHeader(data);
      if (data.length === 0) return;
    }
    const pending = concat(this.held, data);
    const forwardable = pending.length - HOLD_BACK;
    if (forwardable > 0) {
      await this.emit(pending.slice(0, forwardable));
      this.held = pending.slice(forwardable);
    } else {
      this.held = pending;
    }
  }

  private takeHeader(data: Uint8Array): Uint8Array {
    const need = (this.headerSize < 0 ? LOCAL_HEADER_SIZE : this.headerSize) - this.header.length;
    this.header = concat(this.header, data.subarray(0, need));
    let rest = data.subarray(need);
    if (this.headerSize < 0 && this.header.length === LOCAL_HEADER_SIZE) {
      const view = new DataView(this.header.buffer, this.header.byteOffset, LOCAL_HEADER_SIZE);
      if (view.getUint32(0, true) !== LOCAL_HEADER_SIGNATURE) {
        throw new WharfError("COMPRESSION", "zip.js output does not start with a local file header");
      }
      this.headerSize = LOCAL_HEADER_SIZE + view.getUint16(26, true) + view.getUint16(28, true);
      if (rest.length > 0) rest = this.takeHeader(rest);
    }
    return rest;
  }

  /** Forwards the rest of the deflate data once zip.js has reported its length. */
  async finish(compressedSize: number): Promise<void> {
    const remaining = compressedSize - this.forwarded;
    if (remaining < 0 || remaining > this.held.length) {
      throw new WharfError("COMPRESSION", `zip.js reported ${compressedSize} compressed bytes but wrote ${this.forwarded + this.held.length}`);
    }
    this.done = true;
    if (remaining > 0) await this.emit(this.held.slice(0, remaining));
    this.held = new Uint8Array(0);
  }

  private async emit(bytes: Uint8Array): Promise<void> {
    this.forwarded += bytes.length;
    await this.out.ready;
    await this.out.write(bytes);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
