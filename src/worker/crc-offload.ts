/**
 * tar-split reassembly's file reads and CRC-64 checks on worker threads (jobs.ts), so the main
 * thread only parses records and hands chunks on (the workers are client.ts's, shared). When
 * the runtime has no workers, or none can start, `crcOffload` answers undefined and reassembly
 * works inline.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import type { WorkersPort } from "../ports.ts";
import { workerClients, type WorkerClient } from "./client.ts";
import { crcFailed, longer, missing, shorter } from "../tar/tarsplit-common.ts";
import { NOT_READ, RANGE_END, RANGE_START, type CrcJob, type CrcReply, type RangeFailure } from "./protocol.ts";

/** A chunk's work: ranges as in CrcJob, each RANGE_END range's expected CRC and every range's file name. */
export interface ChunkChecks {
  ranges: number[];
  /** 8 bytes per RANGE_END range, `ends` of them (the array may be longer). */
  expected: Uint8Array;
  ends: number;
  /** The file name of each range (triple). */
  labels: string[];
  /** Per range: NOT_READ (already filled), WHOLE_FILE (the worker reads the file into it), or where in its file the piece the worker reads starts. */
  reads: number[];
  /** Per range: the bytes of its file after it (a large file's pieces), added to a `shorter` failure. */
  after: number[];
  /** First range whose recorded CRC is not 8 bytes (it fails unchecked), or -1. */
  invalid: number;
}

/**
 * CRC jobs (and file reads) spread over the workers: each chunk to the least busy one, except
 * a chunk that continues a file from the chunk before, which goes where that one went (its
 * open CRC is there). Replies come back per worker in order; the caller keeps chunk order.
 */
export class CrcOffload {
  /** Streams whose last chunk left a file open, and the worker holding its CRC. */
  private readonly pinned = new Map<number, WorkerClient>();

  constructor(private readonly clients: readonly WorkerClient[]) {}

  /** A new stream id: a file's CRC carries from one chunk to the next within a stream. */
  openStream(): number {
    return this.clients[0]!.openStream();
  }

  /**
   * Sends `chunk` (its buffer is transferred: do not touch it meanwhile) to be filled and
   * checked; resolves with the same bytes when every range passes, rejects with the first
   * failing file's error. `dir`: where the ranges to read are read from.
   */
  async check(stream: number, chunk: Uint8Array, checks: ChunkChecks, dir?: string): Promise<Uint8Array> {
    // A copy of only what is used: a view would carry its whole buffer along.
    const expected = checks.expected.slice(0, checks.ends * 8);
    const { byteOffset, length } = chunk; // the view is detached once the buffer is sent
    const job: CrcJob = { kind: "crc", stream, buf: chunk.buffer as ArrayBuffer, ranges: Int32Array.from(checks.ranges), expected };
    if (dir !== undefined && checks.reads.some((r) => r !== NOT_READ)) {
      let names = "";
      for (let i = 0; i < checks.labels.length; i++) if (checks.reads[i] !== NOT_READ) names += `${checks.labels[i]}\0`;
      job.read = { dir, reads: Float64Array.from(checks.reads), names };
    }
    const ranges = checks.ranges;
    const continues = ranges.length > 0 && !(ranges[2]! & RANGE_START);
    const client = (continues && this.pinned.get(stream)) || this.leastBusy();
    if (ranges.length > 0 && !(ranges[ranges.length - 1]! & RANGE_END)) this.pinned.set(stream, client);
    else this.pinned.delete(stream);
    const reply = await client.send<CrcReply>(job, [job.buf]);
    let failed = reply.failed;
    let reason = reply.reason;
    if (checks.invalid >= 0 && (failed < 0 || checks.invalid < failed)) {
      failed = checks.invalid;
      reason = "crc";
    }
    if (failed >= 0) {
      if (reason && typeof reason === "object" && "shorter" in reason) reason = { shorter: reason.shorter + checks.after[failed]! };
      throw failure(checks.labels[failed]!, reason ?? "crc");
    }
    return new Uint8Array(reply.buf, byteOffset, length);
  }

  /** Forgets a stream's state on the workers (its open CRC, its reader's cache). */
  endStream(stream: number): void {
    this.pinned.delete(stream);
    for (const client of this.clients) client.post({ kind: "end-stream", stream });
  }

  private leastBusy(): WorkerClient {
    let best = this.clients[0]!;
    for (const c of this.clients) if (c.inFlight < best.inFlight) best = c;
    return best;
  }
}

function failure(label: string, reason: RangeFailure): WharfError {
  if (reason === "crc") return crcFailed(label);
  if (reason === "missing") return missing(label);
  if (reason === "longer") return longer(label);
  if ("shorter" in reason) return shorter(label, reason.shorter);
  return new WharfError((reason.code ?? "IO") as WharfErrorCode, reason.error);
}

/** The runtime's workers for CRC jobs; undefined without workers or when none starts. */
export async function crcOffload(workers: WorkersPort | undefined): Promise<CrcOffload | undefined> {
  const clients = await workerClients(workers);
  return clients.length > 0 ? new CrcOffload(clients) : undefined;
}
