/**
 * Messages between the main thread and a wharf worker (ports.ts WorkerPort). Buffers travel
 * by transfer, never by copy: a chunk goes to the worker to be filled and checked, and comes
 * back whole. Per-range data travels packed (typed arrays, one string of names): a structured
 * clone of arrays of thousands of numbers and strings cost several times the message itself.
 */

/** The range starts a new CRC; without it the range continues the stream's open one. */
export const RANGE_START = 1;
/** The file ends with this range: its CRC is compared with the next expected value. */
export const RANGE_END = 2;

/** CRC-64/ISO checks of file ranges in one chunk of reassembled tar. */
export interface CrcJob {
  kind: "crc";
  /** Which reassembly the chunk belongs to: a file may span chunks, streams may interleave. */
  stream: number;
  buf: ArrayBuffer;
  /** Flat triples: offset in `buf`, length, RANGE_* flags. */
  ranges: Int32Array;
  /** 8 big-endian bytes per RANGE_END range, in order (as tar-split records them). */
  expected: Uint8Array;
  /**
   * Ranges the worker first fills itself, from layer files read from `dir` by diff-getter.ts
   * LayerFileReader. `reads`, per range: NOT_READ (filled already), WHOLE_FILE, or where in its
   * file the piece starts. `names`: the file (tar-split record name) of each range read, in
   * order, each followed by a NUL (names never hold one).
   */
  read?: { dir: string; reads: Float64Array; names: string };
}

/** CrcJob `read.reads`: the range is filled already. */
export const NOT_READ = -2;
/** CrcJob `read.reads`: the range is a whole file, for the worker to read. */
export const WHOLE_FILE = -1;

/**
 * Why a range's file failed: as tarsplit-common.ts names the errors. `shorter` counts what the
 * range lacks (for a piece of a file, the bytes after it are the sender's to add).
 */
export type RangeFailure = "crc" | "missing" | "longer" | { shorter: number } | { error: string; code?: string };

export interface CrcReply {
  kind: "crc";
  buf: ArrayBuffer;
  /** Index (in triples) of the first range whose file fails; -1 when all pass. */
  failed: number;
  reason?: RangeFailure;
}

/** The stream ended (or was abandoned): forget its open CRC and its reader. */
export interface EndStream {
  kind: "end-stream";
  stream: number;
}

/** Per file in a CreateJob: offset and length of its body in `buf`, mode, uid and gid (-1: keep), atime and mtime (ms). */
export const CREATE_FIELDS = 7;

/** Small regular files to create, each as FilesPort.createFile does (exclusively, with its metadata). */
export interface CreateJob {
  kind: "create";
  /** The bodies, one after another (the buffer may be longer than they are). */
  buf: ArrayBuffer;
  /** CREATE_FIELDS numbers per file. */
  files: number[];
  paths: string[];
}

export interface CreateReply {
  kind: "create";
  /** The job's buffer, back for the next batch (and for the bodies of files that met EEXIST). */
  buf: ArrayBuffer;
  /** The files that could not be created (by index), with the error each met. */
  failures: Array<{ index: number; code: string; errno?: string; message: string }>;
}

export type WorkerJob = CrcJob | EndStream | CreateJob;

/**
 * Decoding streams on the codec worker (codec-client.ts, codec-host.ts), hashing what they
 * decode (the layer's diffID) on the way. Unlike jobs these are not answered in order: each
 * message names its stream, and either side posts when it has something. Input pieces travel
 * by transfer; output goes out only against credit the main thread grants as its reader takes
 * chunks, so a slow consumer holds the decoder back. A reader that copies each chunk out (a tar
 * reader's window) sends the spent buffer back with the credit, and the worker fills it again.
 */
export type CodecFormat = "gzip" | "zstd";

export type CodecToWorker =
  /** Answered by `codec-pong` once the worker can decode. */
  | { kind: "codec-ping"; stream: 0 }
  | { kind: "codec-open"; stream: number; format: CodecFormat; chunkSize: number }
  /** `length`: the bytes of `buf` (from its start) that are input. */
  | { kind: "codec-in"; stream: number; buf: ArrayBuffer; length: number }
  /** Room for one more output chunk; `buf`, when given, is a spent output buffer back for reuse. */
  | { kind: "codec-credit"; stream: number; buf?: ArrayBuffer }
  | { kind: "codec-end"; stream: number }
  | { kind: "codec-abort"; stream: number };

export type CodecFromWorker =
  | { kind: "codec-pong"; stream: 0 }
  /** One input piece was consumed by the decoder: room for another; `buf` is that piece, back for reuse. */
  | { kind: "codec-taken"; stream: number; buf?: ArrayBuffer }
  /** Decoded bytes: the first `length` bytes of `buf`. */
  | { kind: "codec-out"; stream: number; buf: ArrayBuffer; length: number }
  /** The end of the output, with the SHA-256 (hex) of all of it, and of all the input when its end came first. */
  | { kind: "codec-done"; stream: number; digest: string; inputDigest?: string }
  | { kind: "codec-error"; stream: number; message: string; code?: string };

export function isCodecMessage(message: unknown): message is CodecToWorker {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return typeof kind === "string" && kind.startsWith("codec-");
}
