/**
 * Ports: the only way the core reaches the outside world. Each runtime adapter in
 * `src/runtime/` implements them; nothing else in `src/` touches `Deno`, `Bun`, `process`
 * or `node:*`. Keep each interface small: an ability a runtime lacks is absent (undefined),
 * not a method that throws "not implemented".
 */

export type FileKind = "file" | "dir" | "symlink" | "char" | "block" | "fifo" | "socket" | "unknown";

export interface FileInfo {
  kind: FileKind;
  size: number;
  /** permission bits and set-id/sticky bits (mode & 0o7777) */
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  ino: number;
  dev: number;
  nlink: number;
  /** device number for char/block devices (major/minor as Linux encodes them) */
  rdev: number;
}

export interface FileHandle {
  /** Reads into `into` (e.g. a view of WASM memory) and returns the byte count; 0 at end. */
  read(into: Uint8Array, position?: number | null): Promise<number>;
  /** Writes all of `data`. */
  write(data: Uint8Array, position?: number | null): Promise<void>;
  /**
   * Optional: `write` at the file offset as a blocking call, where a runtime offers one. Into the
   * page cache it costs less than the hop to an I/O thread (writeStreamTo uses it).
   */
  writeSync?(data: Uint8Array): void;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenMode = "r" | "w" | "wx" | "a";

export interface FilesPort {
  open(path: string, mode: OpenMode, perm?: number): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Plain (non-atomic) write; use `writeFileAtomic` from `src/fs/atomic.ts` for store metadata.
   * `perm` is the mode a new file is created with (less the umask); an existing file keeps its mode.
   */
  writeFile(path: string, data: Uint8Array, perm?: number): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** Does not follow a final symlink. Resolves `null` when the path does not exist. */
  lstat(path: string): Promise<FileInfo | null>;
  /**
   * Optional blocking lstat, for hot paths (checking a layer's directories while its files are
   * read in place) where a hop to an I/O thread costs far more than the call. As `lstat`.
   */
  lstatSync?(path: string): FileInfo | null;
  stat(path: string): Promise<FileInfo | null>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  link(existing: string, path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  /** Sets atime/mtime (ms) without following a final symlink. */
  lutimes(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  /**
   * Creates a device node or FIFO, `rdev` = makedev(major, minor). `mode` is applied exactly
   * (not masked by the umask), as `mknod -m` does.
   */
  mknod(path: string, kind: "char" | "block" | "fifo", mode: number, major: number, minor: number): Promise<void>;
  /** The xattr calls do not follow a final symlink (lsetxattr & co.). */
  setxattr(path: string, name: string, value: Uint8Array): Promise<void>;
  /** Resolves `null` when the attribute is absent. */
  getxattr(path: string, name: string): Promise<Uint8Array | null>;
  listxattr(path: string): Promise<string[]>;
  /**
   * Optional bulk read for runtimes where each xattr call is costly (Node runs getfattr): every
   * path under `dir` (symlinks not followed) carrying the attribute `name`, with its value.
   */
  xattrTree?(dir: string, name: string): Promise<Map<string, Uint8Array>>;
  /**
   * Optional fast path for reading many small files (tar-split reassembly): the bytes of the
   * regular file at `path` when it holds at most `limit` bytes, `undefined` when it holds more
   * (read it through `open`), `null` when it is missing or not a regular file. Does not follow
   * a final symlink. An adapter may do it in blocking calls where, for a small file, they cost
   * less than a hop to an I/O thread.
   */
  readSmallFile?(path: string, limit: number): Promise<Uint8Array | null | undefined>;
  /**
   * Optional synchronous variant into the caller's buffer (tar-split reassembly reads files in
   * place): the byte count when the file at `path` fits `into`, `undefined` when it is larger,
   * `null` when it is missing or not a file. Does not follow a final symlink. An adapter may skip
   * the stat and tell a file by reading it, so a device node reads as what it yields: callers
   * check what they read (tar-split's CRC-64).
   */
  readFileInto?(path: string, into: Uint8Array): number | null | undefined;
  /**
   * Optional synchronous read of part of a file (tar-split reassembly reads large files piece by
   * piece): bytes of the regular file at `path` from `position` into `into` until it is full or
   * the file ends (the count read), `null` when it is missing or not a file. Does not follow a
   * final symlink; like readFileInto it may tell a file by reading it.
   */
  readFileAt?(path: string, into: Uint8Array, position: number): number | null;
  /**
   * Optional: readFileInto and readFileAt for files under `dir` by clean relative path, each
   * directory on the way opened once and without following a symlink (what lies behind one, or
   * is not a regular file, reads as missing). Close it when done; undefined when not offered.
   */
  openDirReader?(dir: string): DirFileReader | undefined;
  /**
   * Optional fast path for walking trees of many small files (layer diffs): every entry of the
   * directory `path` with its lstat, in any order; an entry gone before its lstat is left out.
   * An adapter may do it in blocking calls where, per entry, they cost less than a hop to an
   * I/O thread.
   */
  lstatDir?(path: string): Promise<Array<{ name: string; info: FileInfo }>>;
  /**
   * Optional fast path for extracting many small files: what `open(path, "wx", mode & 0o777)`,
   * writing `data`, `lchown` (when `owner` is given), `chmod(mode)` and `lutimes` do, in that
   * order, for a new regular file (rejects with errno EEXIST when `path` exists). An adapter may
   * do it in blocking calls where, for a small file, they cost less than hops to an I/O thread.
   */
  createFile?(path: string, data: Uint8Array, meta: { mode: number; owner?: { uid: number; gid: number }; atimeMs: number; mtimeMs: number }): Promise<void>;
  /**
   * Optional: the cheap per-entry calls made in blocking syscalls on the calling thread, each
   * still answering with a promise, for paths that make many in a row (a layer's directories and
   * links). On ext4 such a call costs the kernel a few µs; a hop to an I/O thread costs the main
   * thread several times that, and the entry waits the round trip.
   */
  blocking?: BlockingFileOps;
  /** Fresh temporary directory under the system temp dir (or under `parent`). */
  makeTempDir(prefix: string, parent?: string): Promise<string>;
}

/**
 * FilesPort calls an adapter may offer in blocking form (FilesPort.blocking); same contracts. A
 * handle from `open` writes, reads and closes in blocking calls too (its `sync` still waits on
 * an I/O thread: an fsync can take milliseconds).
 */
export type BlockingFileOps = Pick<FilesPort, "lstat" | "mkdir" | "symlink" | "link" | "chmod" | "lchown" | "lutimes" | "open" | "rename" | "writeFile">;

export interface ProcessResult {
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface ProcessesPort {
  /**
   * Runs a program to completion (no shell). `env` is added to (overrides) the current
   * environment. A program that cannot be started rejects with WharfError PROCESS + errno.
   */
  run(cmd: string, args: string[], options?: { stdin?: Uint8Array; cwd?: string; env?: Record<string, string> }): Promise<ProcessResult>;
}

export interface MountsPort {
  /**
   * mount(2). `flags` are Linux MS_* bits; `data` the option string. Throws WharfError MOUNT with `errno`.
   * `cwd`: the directory relative paths in `target` and `data` resolve against (overlay2 keeps
   * long lowerdir lists under a page with paths relative to its home).
   */
  mount(source: string, target: string, fstype: string, flags: number, data: string, options?: { cwd?: string }): Promise<void>;
  /** umount2(2). */
  unmount(target: string, flags?: number): Promise<void>;
}

export interface ClockPort {
  /** Wall clock as [seconds since epoch, nanoseconds] for RFC3339 timestamps with nanoseconds. */
  now(): { seconds: number; nanos: number };
  /** Monotonic milliseconds for measuring durations. */
  monotonicMs(): number;
}

export interface RandomPort {
  bytes(n: number): Uint8Array;
}

/** Streaming hash. Bytes are fed as they pass by; never re-read. */
export interface Digester {
  update(data: Uint8Array): void;
  /** Lowercase hex of the digest; the digester cannot be used after. */
  hex(): string;
}

export interface DigesterFactory {
  sha256(): Digester;
  /** "native" when the runtime's own SHA-256 is used, "wasm" for hash-wasm. */
  readonly kind: "native" | "wasm";
}

/** Codec abilities a runtime may provide natively; the core falls back to portable ones. */
export interface CompressionPort {
  gunzip?(): TransformStream<Uint8Array, Uint8Array>;
  /**
   * The runtime's own gzip at its fastest level, for files whose bytes need not be the same on
   * every runtime and are only read back (`tar-split.json.gz`); blobs use the reproducible
   * `gzipEncode`. Node's zlib compresses off the main thread.
   */
  gzip?(): TransformStream<Uint8Array, Uint8Array>;
  zstdDecompress?(): TransformStream<Uint8Array, Uint8Array>;
  /**
   * gzip decoded on the calling thread straight into the caller's buffers (no stream, no output
   * buffer of the decoder's own): the codec worker's decoder where the runtime has one.
   */
  gunzipInto?(): BlockDecoder;
}

/** A decoder driven by its caller, one call at a time, into buffers the caller owns. */
export interface BlockDecoder {
  /**
   * Decodes from `input` into `output`: how much of each was used. Output less than `output`'s
   * length means the input is all used (or the stream ended); a full output, call again with the
   * rest. Throws a COMPRESSION error on a corrupt stream.
   */
  decode(input: Uint8Array, output: Uint8Array): { read: number; written: number };
  /** After the last input: the rest of the output, called again while it fills `output`; throws if the stream is truncated. */
  finish(output: Uint8Array): number;
  /** Frees the decoder (after the end, or to give up on the stream). */
  close(): void;
}

export interface StdioPort {
  stdin(): ReadableStream<Uint8Array>;
  stdout: WritableStream<Uint8Array>;
  stderr: WritableStream<Uint8Array>;
  isTerminal(fd: 0 | 1 | 2): boolean;
}

export interface EnvPort {
  get(name: string): string | undefined;
  args(): string[];
  cwd(): string;
  /** effective uid, or -1 where the notion does not exist (browser) */
  uid(): number;
  /** This machine's OS and CPU in Go's names (`linux`, `amd64`/`arm64`/…), for picking an image's platform. */
  platform(): { os: string; architecture: string };
  exit(code: number): never;
}

/**
 * A worker thread running wharf's job handler (src/worker/jobs.ts), for CPU work that can run
 * beside the main thread (CRC-64 checks of reassembled layers). Replies come in posting order.
 */
export interface WorkerPort {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  onMessage(handler: (message: unknown) => void): void;
  /** The worker failed to start or died; no more replies will come. */
  onError(handler: (error: Error) => void): void;
  /** While jobs are in flight the worker keeps the process alive; idle, it does not. */
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

export interface WorkersPort {
  spawn(): Promise<WorkerPort>;
}

/** FilesPort.openDirReader: blocking reads of files under one directory. */
export interface DirFileReader {
  readFileInto(rel: string, into: Uint8Array): number | null | undefined;
  readFileAt(rel: string, into: Uint8Array, position: number): number | null;
  close(): void;
}

/** Everything a runtime offers. Absent abilities are `undefined`. */
export interface Runtime {
  readonly name: "node" | "deno" | "bun" | "browser";
  readonly files?: FilesPort;
  readonly processes?: ProcessesPort;
  readonly mounts?: MountsPort;
  readonly clock: ClockPort;
  readonly random: RandomPort;
  readonly digests: DigesterFactory;
  readonly compression: CompressionPort;
  readonly stdio?: StdioPort;
  readonly env?: EnvPort;
  readonly workers?: WorkersPort;
  /**
   * A GET without a body, as `fetch` does it, where the runtime's `fetch` costs much per chunk
   * (Node's copies every byte three times): blob downloads take it. Absent: `fetch` serves.
   */
  readonly fetchGet?: FetchGet;
}

export type FetchGet = (url: string, init: { headers: Record<string, string> }) => Promise<Response>;
