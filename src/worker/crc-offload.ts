/**
 * tar-split reassembly's file reads and CRC-64 checks on a worker thread (jobs.ts), so the main
 * thread only parses records and hands chunks on (the worker is client.ts's, shared). When the
 * runtime has no workers, or the worker cannot start, `crcOffload` answers undefined and
 * reassembly works inline.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { WorkersPort } from "../ports.ts";
import { workerClient, type WorkerClient } from "./client.ts";
import { crcFailed, longer, missing, shorter } from "../tar/tarsplit-common.ts";
import type { CrcJob, CrcReply, RangeFailure } from "./protocol.ts";

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

/** CRC jobs (and file reads) for one worker client. */
export class CrcOffload {
  constructor(private readonly client: WorkerClient) {}

  /** A new stream id: a file's CRC carries from one chunk to the next within a stream. */
  openStream(): number {
    return this.client.openStream();
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
    const reply = await this.client.send<CrcReply>(job, [job.buf]);
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
    this.client.post({ kind: "end-stream", stream });
  }
}

function failure(label: string, reason: RangeFailure): WharfError {
  if (reason === "crc") return crcFailed(label);
  if (reason === "missing") return missing(label);
  if (reason === "longer") return longer(label);
  if ("shorter" in reason) return shorter(label, reason.shorter);
  return new WharfError((reason.code ?? "IO") as WharfErrorCode, reason.error);
}

/** The runtime's worker for CRC jobs; undefined without workers or when it fails to start. */
export async function crcOffload(workers: WorkersPort | undefined): Promise<CrcOffload | undefined> {
  const client = await workerClient(workers);
  return client && new CrcOffload(client);
}
