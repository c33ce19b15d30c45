/**
 * tar-split reassembly's file reads and CRC-64 checks on a worker thread (jobs.ts), so the main
 * thread only parses records and hands chunks on. One worker per runtime, shared by every
 * reassembly; it keeps the process alive only while jobs are in flight. When the runtime has no
 * workers, or the worker cannot start, `crcOffload` answers undefined and reassembly works inline.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { WorkerPort, WorkersPort } from "../ports.ts";
import { crcFailed, longer, missing, shorter } from "../tar/tarsplit-common.ts";
import { type CrcJob, type CrcReply, type RangeFailure, type WorkerJob } from "./protocol.ts";

/** A chunk's work: ranges as in CrcJob, each RANGE_END range's expected CRC and every range's file name. */
export interface ChunkChecks {
  ranges: number[];
  expected: Uint8Array[];
  /** The file name of each range (triple). */
  labels: string[];
  /** Per range: the worker reads the file into it first. */
  reads: boolean[];
  /** First range whose recorded CRC is not 8 bytes (it fails unchecked), or -1. */
  invalid: number;
}

export class CrcOffload {
  private readonly waiting: Array<{ resolve: (reply: CrcReply) => void; reject: (error: Error) => void }> = [];
  private nextStream = 1;
  private broken: Error | undefined;

  constructor(private readonly worker: WorkerPort) {
    worker.unref();
    worker.onMessage((message) => {
      const next = this.waiting.shift();
      if (this.waiting.length === 0) worker.unref();
      next?.resolve(message as CrcReply);
    });
    worker.onError((error) => {
      this.broken = error;
      for (const w of this.waiting.splice(0)) w.reject(error);
      worker.unref();
    });
  }

  /** The worker died: later reassemblies work inline. */
  get isBroken(): boolean {
    return this.broken !== undefined;
  }

  /** A new stream id: a file's CRC carries from one chunk to the next within a stream. */
  openStream(): number {
    return this.nextStream++;
  }

  /**
   * Sends `chunk` (its buffer is transferred: do not touch it meanwhile) to be filled and
   * checked; resolves with the same bytes when every range passes, rejects with the first
   * failing file's error. `dir`: where the ranges to read are read from.
   */
  async check(stream: number, chunk: Uint8Array, checks: ChunkChecks, dir?: string): Promise<Uint8Array> {
    const expected = new Uint8Array(checks.expected.length * 8);
    checks.expected.forEach((e, i) => expected.set(e, i * 8));
    const { byteOffset, length } = chunk; // the view is detached once the buffer is sent
    const job: CrcJob = { kind: "crc", stream, buf: chunk.buffer as ArrayBuffer, ranges: checks.ranges, expected };
    if (dir !== undefined && checks.reads.some(Boolean)) job.read = { dir, names: checks.labels.map((l, i) => (checks.reads[i] ? l : null)) };
    const reply = await this.send(job);
    let failed = reply.failed;
    let reason = reply.reason;
    if (checks.invalid >= 0 && (failed < 0 || checks.invalid < failed)) {
      failed = checks.invalid;
      reason = "crc";
    }
    if (failed >= 0) throw failure(checks.labels[failed]!, reason ?? "crc");
    return new Uint8Array(reply.buf, byteOffset, length);
  }

  /** Forgets a stream's state on the worker (its open CRC, its reader's cache). */
  endStream(stream: number): void {
    if (!this.broken) this.worker.post({ kind: "end-stream", stream } satisfies WorkerJob, []);
  }

  /** Resolves when the worker answers a job with no ranges; rejects when it cannot start. */
  async ready(): Promise<void> {
    await this.send({ kind: "crc", stream: 0, buf: new ArrayBuffer(0), ranges: [], expected: new Uint8Array(0) });
  }

  private send(job: CrcJob): Promise<CrcReply> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<CrcReply>((resolve, reject) => {
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      this.worker.post(job, job.buf.byteLength > 0 ? [job.buf] : []);
    });
  }
}

function failure(label: string, reason: RangeFailure): WharfError {
  if (reason === "crc") return crcFailed(label);
  if (reason === "missing") return missing(label);
  if (reason === "longer") return longer(label);
  if ("shorter" in reason) return shorter(label, reason.shorter);
  return new WharfError((reason.code ?? "IO") as WharfErrorCode, reason.error);
}

const shared = new WeakMap<WorkersPort, Promise<CrcOffload | undefined>>();

/** The runtime's worker once it answers; undefined without workers or when it fails to start. */
export function crcOffload(workers: WorkersPort | undefined): Promise<CrcOffload | undefined> {
  if (!workers) return Promise.resolve(undefined);
  let known = shared.get(workers);
  if (!known) {
    known = (async () => {
      let worker: WorkerPort | undefined;
      try {
        worker = workers.spawn();
        const offload = new CrcOffload(worker);
        await offload.ready();
        return offload;
      } catch {
        await worker?.terminate().catch(() => {});
        return undefined;
      }
    })();
    shared.set(workers, known);
  }
  return known.then((offload) => (offload?.isBroken ? undefined : offload));
}
