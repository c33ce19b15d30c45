/**
 * Small regular files created on the worker thread (jobs.ts `create`), in batches, while the main
 * thread reads on: on a slow file system each creation costs the kernel far more than the
 * message costs us, and the worker's creations run beside the main thread's work. Bodies are
 * copied into the batch at once, so callers may pass views of buffers they reuse.
 *
 * A layer has tens of thousands of such files: nothing here is made per file but a set entry
 * and the numbers of the batch (no promise, no closure), so a pull allocates little per file.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { FilesPort } from "../ports.ts";
import type { WorkerClient } from "./client.ts";
import { CREATE_FIELDS, type CreateJob, type CreateReply } from "./protocol.ts";

export type CreateMeta = Parameters<NonNullable<FilesPort["createFile"]>>[2];

/** Makes the file itself after clearing what was in its way (the worker met EEXIST). */
export type InTheWay = (key: string, path: string, body: Uint8Array, meta: CreateMeta) => Promise<void>;

/** A batch leaves once it holds this many bytes or files. */
const BATCH_BYTES = 512 << 10;
const BATCH_FILES = 128;
/** Batches on their way at most; `throttle` waits below this. */
const IN_FLIGHT = 8;
/**
 * Batch buffers back from the worker, for the next batches of any creator: a pull makes one per
 * layer, and each would otherwise fault in its own. Kept while the process lives (4 MiB at most).
 */
const spare: ArrayBuffer[] = [];
const SPARE_BUFFERS = IN_FLIGHT;
/** No buffer taken yet: the first file of a batch takes one. */
const NONE = new ArrayBuffer(0);

function giveBack(buf: ArrayBuffer): void {
  // Only a buffer of the batch size serves again (one made for an oversized body does not).
  if (buf.byteLength === BATCH_BYTES && spare.length < SPARE_BUFFERS) spare.push(buf);
}

export class WorkerFileCreator {
  /** Keys of the files not created yet (queued or on their way). */
  readonly pending = new Set<string>();
  /** The first failure of a batch, kept for the caller to throw. */
  failure: { error: unknown } | undefined;
  /**
   * Bodies are gathered here; a batch leaves with it (transferred) and the worker sends it back,
   * to gather a later batch: fresh buffers would cost page faults and, as external memory, GCs.
   */
  private buf = NONE;
  private bytes = 0;
  private files: number[] = [];
  private paths: string[] = [];
  private keys: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly client: WorkerClient, private readonly inTheWay: InTheWay) {}

  /** Queues the file under `key`; it leaves `pending` once made (or once its batch failed). */
  create(key: string, path: string, body: Uint8Array, meta: CreateMeta): void {
    if (this.bytes + body.length > this.buf.byteLength && this.paths.length > 0) this.flush();
    if (this.buf === NONE) this.buf = spare.pop() ?? new ArrayBuffer(BATCH_BYTES);
    if (body.length > this.buf.byteLength - this.bytes) {
      giveBack(this.buf); // nothing is in it yet: the batch was just sent
      this.buf = new ArrayBuffer(body.length);
    }
    new Uint8Array(this.buf, this.bytes, body.length).set(body);
    this.files.push(this.bytes, body.length, meta.mode, meta.owner?.uid ?? -1, meta.owner?.gid ?? -1, meta.atimeMs, meta.mtimeMs);
    this.paths.push(path);
    this.keys.push(key);
    this.pending.add(key);
    this.bytes += body.length;
    if (this.bytes >= BATCH_BYTES || this.paths.length >= BATCH_FILES) this.flush();
  }

  /** Sends what is gathered. */
  flush(): void {
    if (this.paths.length === 0) return;
    const job: CreateJob = { kind: "create", buf: this.buf, files: this.files, paths: this.paths };
    const keys = this.keys;
    this.buf = NONE;
    this.bytes = 0;
    this.files = [];
    this.paths = [];
    this.keys = [];
    const sent = this.client
      .send<CreateReply>(job, [job.buf])
      .then(async (reply) => {
        await this.settle(reply, job, keys);
        giveBack(reply.buf);
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        for (const key of keys) this.pending.delete(key);
        this.inFlight.delete(sent);
      });
    this.inFlight.add(sent);
  }

  /** Waits while too many batches are on their way; undefined when there is room already. */
  throttle(): Promise<void> | undefined {
    if (this.inFlight.size < IN_FLIGHT) return undefined;
    return (async () => {
      while (this.inFlight.size >= IN_FLIGHT) await Promise.race(this.inFlight);
    })();
  }

  /** Sends what is gathered and waits for every batch (failures are in `failure`, never thrown). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Files the worker found in the way are made here, after the caller cleared the way; any other failure is the batch's. */
  private async settle(reply: CreateReply, job: CreateJob, keys: string[]): Promise<void> {
    const retries: Array<Promise<void>> = [];
    let failure: WharfError | undefined;
    for (const f of reply.failures) {
      const i = f.index;
      if (f.errno !== "EEXIST") {
        failure ??= new WharfError(f.code as WharfErrorCode, f.message, { errno: f.errno });
        continue;
      }
      const [offset, length, mode, uid, gid, atimeMs, mtimeMs] = job.files.slice(i * CREATE_FIELDS, (i + 1) * CREATE_FIELDS) as [number, number, number, number, number, number, number];
      const meta: CreateMeta = { mode, owner: uid >= 0 ? { uid, gid } : undefined, atimeMs, mtimeMs };
      retries.push(this.inTheWay(keys[i]!, job.paths[i]!, new Uint8Array(reply.buf, offset, length), meta));
    }
    const retried = await Promise.allSettled(retries);
    if (failure) throw failure;
    for (const r of retried) if (r.status === "rejected") throw r.reason;
  }
}
