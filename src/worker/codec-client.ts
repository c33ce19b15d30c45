/**
 * Decoding on a worker thread: the main thread only gathers input into pieces and hands output
 * on, while the inflating and the hashing of the input and of the output (a pull's blob digest
 * and a layer's diffID, stream-digest.ts) run beside its tar reader. On Deno that takes the
 * inflating itself off the main thread (its node:zlib decodes on the calling thread); on every
 * runtime, both SHA-256s and zlib's fresh output buffers, which drove most of Node's full
 * collections. One codec worker per
 * runtime serves every stream (codec-host.ts); without one, or when it cannot start, the
 * runtime's own decoder runs inline.
 */
import type { CompressionPort, WorkerPort, WorkersPort } from "../ports.ts";
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { CodecFormat, CodecFromWorker, CodecToWorker } from "./protocol.ts";
import { setProducerDigest, setSinkDigest, settleable, type StreamDigest } from "../io/stream-digest.ts";
import { PieceGatherer } from "../io/piece-gatherer.ts";
import { transferPieces } from "../io/chunk-pool.ts";
import { setCopyingSource, type ByteSource } from "../io/source.ts";
import { spawnReady } from "./client.ts";
import { compressionError } from "../compress/errors.ts";

/** Input goes out in pieces of transferPieces' size (1 MiB): each is a message and a hop on the worker. */
const INPUT_PIECE = transferPieces.size;
/** Pieces sent and not yet taken by the decoder (backpressure on the writer). */
const PIECES_IN_FLIGHT = 4;
/** The worker's decoded chunks: large, since every chunk is a message. */
const OUTPUT_CHUNK = 1024 * 1024;
/** Decoded chunks the worker may send ahead of the reader. */
const OUTPUT_CREDIT = 4;

/** `port` with its decoders moved to the codec worker; its encoder is left as it is. */
export function offThreadDecoding(port: CompressionPort, workers: WorkersPort): CompressionPort {
  const moved: CompressionPort = { ...port };
  if (port.gunzip) moved.gunzip = () => offThreadDecoder(workers, "gzip", () => port.gunzip!());
  if (port.zstdDecompress) moved.zstdDecompress = () => offThreadDecoder(workers, "zstd", () => port.zstdDecompress!());
  return moved;
}

/** What the two ends of the transform drive: the worker's stream, or the inline decoder. */
interface Backend {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason: unknown): void;
  /** The next decoded chunk; undefined at the end. It is `spent` once its bytes were copied out. */
  next(): Promise<Uint8Array | undefined>;
  /** Room for the next chunk; the caller hands `chunk` back when nothing refers to its buffer any more. */
  spent(chunk?: Uint8Array): void;
  cancel(): void;
  /** The worker's hashes of the output and of the input; none inline. */
  digest?: StreamDigest;
  inputDigest?: StreamDigest;
}

export function offThreadDecoder(workers: WorkersPort, format: CodecFormat, inline: () => TransformStream<Uint8Array, Uint8Array>): TransformStream<Uint8Array, Uint8Array> {
  let backend: Promise<Backend> | undefined;
  const get = (): Promise<Backend> =>
    (backend ??= codecWorker(workers).then((worker) => (worker ? workerBackend(worker, format) : inlineBackend(inline()))));
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const backend = await get();
      const chunk = await backend.next();
      if (!chunk) return controller.close();
      backend.spent(); // the chunk is the consumer's now
      controller.enqueue(chunk);
    },
    async cancel() {
      (await get()).cancel();
    },
  }, { highWaterMark: 0 });
  const digest = get().then((b) => b.digest);
  digest.catch(() => {}); // the stream's own reads report a failure to choose
  setProducerDigest(readable, digest);
  setCopyingSource(readable, () => copyingSource(get));
  const inputDigest = get().then((b) => b.inputDigest);
  inputDigest.catch(() => {});
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await (await get()).write(chunk);
    },
    async close() {
      await (await get()).close();
    },
    async abort(reason) {
      (await get()).abort(reason);
    },
  });
  setSinkDigest(writable, inputDigest);
  return { readable, writable };
}

/** Reads decoded chunks straight into the caller's buffer; each spent buffer goes back to the worker. */
function copyingSource(get: () => Promise<Backend>): ByteSource {
  let pending: Uint8Array | undefined;
  return {
    async read(into) {
      if (into.length === 0) return 0;
      const backend = await get();
      while (!pending || pending.length === 0) {
        if (pending) backend.spent(pending);
        pending = await backend.next();
        if (!pending) return 0;
      }
      const n = Math.min(into.length, pending.length);
      into.set(n === pending.length ? pending : pending.subarray(0, n));
      if (n < pending.length) pending = pending.subarray(n);
      else {
        backend.spent(pending);
        pending = undefined;
      }
      return n;
    },
  };
}

function inlineBackend(codec: TransformStream<Uint8Array, Uint8Array>): Backend {
  const writer = codec.writable.getWriter();
  const reader = codec.readable.getReader();
  return {
    write: (chunk) => writer.write(chunk),
    close: () => writer.close(),
    abort: (reason) => void writer.abort(reason).catch(() => {}),
    next: async () => (await reader.read()).value,
    spent: () => {},
    cancel: () => void reader.cancel().catch(() => {}),
  };
}

function workerBackend(worker: CodecWorker, format: CodecFormat): Backend {
  const output: Uint8Array[] = [];
  let ended = false;
  let failure: unknown;
  const [hex, settleDigest] = settleable<string>();
  const [inputHex, settleInput] = settleable<string>();
  let piecesInFlight = 0;
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const woken = waiters;
    waiters = [];
    for (const waiter of woken) waiter();
  };
  // Only a wait keeps the process alive (as a pending read on a socket does): a stream left
  // unread and never cancelled must not hold the program open at its end.
  const changed = async (): Promise<void> => {
    worker.hold();
    try {
      await new Promise<void>((resolve) => waiters.push(resolve));
    } finally {
      worker.release();
    }
  };
  const stream = worker.open((message) => {
    if (message.kind === "codec-taken") {
      piecesInFlight--;
      if (message.buf) worker.spareInput(message.buf);
    } else if (message.kind === "codec-out") output.push(new Uint8Array(message.buf, 0, message.length));
    else if (message.kind === "codec-done") {
      ended = true;
      settleDigest.resolve(message.digest);
      if (message.inputDigest !== undefined) settleInput.resolve(message.inputDigest);
      else settleInput.reject(new WharfError("COMPRESSION", `${format} stream: the decoder ended before its input`));
    } else if (message.kind === "codec-error") failure ??= new WharfError(errorCodeOf(message.code), message.message);
    if (failure !== undefined) {
      settleDigest.reject(failure);
      settleInput.reject(failure);
    }
    // The worker is done with the stream: whatever it sent is queued here already.
    if (ended || failure !== undefined) worker.close(stream);
    notify();
  });
  const post = (message: CodecToWorker, transfer: ArrayBuffer[] = []): void => worker.post(message, transfer);
  post({ kind: "codec-open", stream, format, chunkSize: OUTPUT_CHUNK });
  for (let i = 0; i < OUTPUT_CREDIT; i++) post({ kind: "codec-credit", stream });

  /** Sends the first `length` bytes of a piece this side owns, by transfer. */
  const send = async (buf: ArrayBuffer, length: number): Promise<void> => {
    while (piecesInFlight >= PIECES_IN_FLIGHT && failure === undefined) await changed();
    if (failure !== undefined) throw failure;
    piecesInFlight++;
    post({ kind: "codec-in", stream, buf, length }, [buf]);
  };
  /** A caller's chunk is copied into a piece first (it may reuse its buffer). */
  const gatherer = new PieceGatherer(INPUT_PIECE, () => transferPieces.get(), (bytes, gathered) => {
    const piece = gathered && bytes.byteOffset === 0 ? bytes : bytes.slice();
    return send(piece.buffer as ArrayBuffer, piece.byteLength);
  });
  const stop = (reason: unknown): void => {
    failure ??= reason;
    settleDigest.reject(failure);
    settleInput.reject(failure);
    worker.close(stream);
    post({ kind: "codec-abort", stream });
    notify();
  };
  return {
    async write(chunk) {
      if (failure !== undefined) throw failure;
      // A piece of the shared pool, handed on whole by its producer (a stream chunk is the
      // reader's): sent as it is, after what was gathered before it.
      if (chunk.byteOffset === 0 && transferPieces.owns(chunk.buffer)) {
        await gatherer.flush();
        await send(chunk.buffer as ArrayBuffer, chunk.byteLength);
      } else await gatherer.write(chunk);
    },
    async close() {
      await gatherer.flush();
      if (failure !== undefined) throw failure;
      post({ kind: "codec-end", stream });
    },
    // The input failed (a broken download): the reader hears of that failure, not of a decoder error.
    abort: (reason) => stop(compressionError(format, reason)),
    async next() {
      for (;;) {
        const chunk = output.shift();
        if (chunk) return chunk;
        if (failure !== undefined) throw failure;
        if (ended) return undefined;
        await changed();
      }
    },
    spent(chunk) {
      if (ended || failure !== undefined) return;
      const buf = chunk?.buffer as ArrayBuffer | undefined;
      post({ kind: "codec-credit", stream, buf }, buf ? [buf] : []);
    },
    cancel: () => stop(new WharfError("COMPRESSION", `${format} stream cancelled`)),
    digest: { hex },
    inputDigest: { hex: inputHex },
  };
}

/** A worker's error keeps its code when it is one of wharf's; anything else is the stream's fault. */
function errorCodeOf(code: string | undefined): WharfErrorCode {
  return code === "IO" || code === "UNSUPPORTED" || code === "INVALID_ARGUMENT" ? code : "COMPRESSION";
}

let nextStream = 1;

/** The codec worker's port, shared by every open stream; it keeps the process alive only while someone waits on it. */
class CodecWorker {
  private readonly listeners = new Map<number, (message: CodecFromWorker) => void>();
  private holds = 0;
  broken = false;

  constructor(private readonly worker: WorkerPort) {
    worker.unref();
    worker.onMessage((message) => {
      const m = message as CodecFromWorker;
      this.listeners.get(m.stream)?.(m);
    });
    worker.onError((error) => {
      this.broken = true;
      const listeners = [...this.listeners];
      this.listeners.clear();
      for (const [stream, listener] of listeners) listener({ kind: "codec-error", stream, message: `the codec worker failed: ${error.message}`, code: "IO" });
    });
  }

  open(listener: (message: CodecFromWorker) => void): number {
    const stream = nextStream++;
    this.listeners.set(stream, listener);
    return stream;
  }

  close(stream: number): void {
    this.listeners.delete(stream);
  }

  /**
   * A piece back from the worker (a new ArrayBuffer object after the transfer), for the next
   * ones: transferPieces keeps some while the process lives, so a later pull starts on memory
   * already faulted in.
   */
  spareInput(buf: ArrayBuffer): void {
    transferPieces.adopt(buf);
    transferPieces.release(new Uint8Array(buf));
  }

  hold(): void {
    if (this.holds++ === 0) this.worker.ref();
  }

  release(): void {
    if (--this.holds === 0) this.worker.unref();
  }

  post(message: CodecToWorker, transfer: ArrayBuffer[]): void {
    if (!this.broken) this.worker.post(message, transfer);
  }

  /** Resolves once the worker answers a ping (its decoders loaded). */
  ready(): Promise<void> {
    this.hold();
    return new Promise<void>((resolve, reject) => {
      this.listeners.set(0, () => {
        this.listeners.delete(0);
        resolve();
      });
      this.worker.onError(reject);
      this.worker.post({ kind: "codec-ping", stream: 0 }, []);
    }).finally(() => this.release());
  }
}

const started = new WeakMap<WorkersPort, Promise<CodecWorker | undefined>>();

/** The runtime's codec worker once it answers; undefined when it cannot start (or has died). */
function codecWorker(workers: WorkersPort): Promise<CodecWorker | undefined> {
  let known = started.get(workers);
  if (!known) {
    known = spawnReady(workers, (port) => new CodecWorker(port));
    started.set(workers, known);
  }
  return known.then((worker) => (worker && !worker.broken ? worker : undefined));
}
