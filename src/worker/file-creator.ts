/**
 * Small regular files created on the worker thread (jobs.ts `create`), in batches, while the main
 * thread reads on: on a slow file system each creation costs the kernel far more than the
 * message costs us, and the worker's creations run beside the main thread's work. Bodies are
 * copied into the batch at once, so callers may pass views of buffers they reuse.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { FilesPort } from "../ports.ts";
import type { WorkerClient } from "./client.ts";
import { CREATE_FIELDS, type CreateJob, type CreateReply } from "./protocol.ts";

type CreateMeta = Parameters<NonNullable<FilesPort["createFile"]>>[2];

/** A batch leaves once it holds this many bytes or files. */
const BATCH_BYTES = 512 << 10;
const BATCH_FILES = 128;
/** Batches on their way at most; `throttle` waits below this. */
const IN_FLIGHT = 8;

interface Waiter {
  resolve: (inTheWay: Uint8Array | undefined) => void;
  reject: (error: unknown) => void;
}

export class WorkerFileCreator {
  /** Bodies are gathered here; a batch leaves as a copy of what it holds (kept short: V8 starts a full GC early when much external memory is allocated). */
  private buf = new ArrayBuffer(BATCH_BYTES);
  private bytes = 0;
  private files: number[] = [];
  private paths: string[] = [];
  private waiters: Waiter[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly client: WorkerClient) {}

  /**
   * Creates the file on the worker. Resolves undefined once it exists, or with its body when
   * something was in the way (EEXIST): the caller clears the way and creates it itself.
   */
  create(path: string, body: Uint8Array, meta: CreateMeta): Promise<Uint8Array | undefined> {
    if (this.bytes + body.length > this.buf.byteLength && this.paths.length > 0) this.flush();
    if (body.length > this.buf.byteLength - this.bytes) this.buf = new ArrayBuffer(body.length);
    new Uint8Array(this.buf, this.bytes, body.length).set(body);
    this.files.push(this.bytes, body.length, meta.mode, meta.owner?.uid ?? -1, meta.owner?.gid ?? -1, meta.atimeMs, meta.mtimeMs);
    this.paths.push(path);
    this.bytes += body.length;
    const done = new Promise<Uint8Array | undefined>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.bytes >= BATCH_BYTES || this.paths.length >= BATCH_FILES) this.flush();
    return done;
  }

  /** Sends what is gathered. */
  flush(): void {
    if (this.paths.length === 0) return;
    const job: CreateJob = { kind: "create", buf: this.buf.slice(0, this.bytes), files: this.files, paths: this.paths };
    const waiters = this.waiters;
    if (this.buf.byteLength !== BATCH_BYTES) this.buf = new ArrayBuffer(BATCH_BYTES); // after one oversized body
    this.bytes = 0;
    this.files = [];
    this.paths = [];
    this.waiters = [];
    const sent = this.client.send<CreateReply>(job, [job.buf]).then(
      (reply) => settle(reply, job, waiters),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Waits while too many batches are on their way. */
  async throttle(): Promise<void> {
    while (this.inFlight.size >= IN_FLIGHT) await Promise.race(this.inFlight);
  }
}

function settle(reply: CreateReply, job: CreateJob, waiters: Waiter[]): void {
  const failed = new Map(reply.failures.map((f) => [f.index, f]));
  waiters.forEach((w, i) => {
    const f = failed.get(i);
    if (!f) return w.resolve(undefined);
    if (f.errno === "EEXIST") return w.resolve(new Uint8Array(reply.buf!, job.files[i * CREATE_FIELDS]!, job.files[i * CREATE_FIELDS + 1]!));
    w.reject(new WharfError(f.code as WharfErrorCode, f.message, { errno: f.errno }));
  });
}
