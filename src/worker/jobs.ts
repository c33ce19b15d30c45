/**
 * What a wharf worker does with the jobs it is sent (protocol.ts): runtime-agnostic, so each
 * runtime's worker entry only wires it to its message port. Jobs run one at a time, in order.
 */
import type { FilesPort } from "../ports.ts";
import { TarEngine } from "../tar/engine.ts";
import { LayerFileReader } from "../graphdriver/diff-getter.ts";
import { CREATE_FIELDS, NOT_READ, RANGE_END, RANGE_START, type CreateJob, type CreateReply, type CrcJob, type CrcReply, type RangeFailure, type WorkerJob } from "./protocol.ts";

export interface JobResult {
  reply: unknown;
  transfer: ArrayBuffer[];
}

/** `files`: the worker's own file access, for jobs that read layer files by name. */
export function createJobHandler(files?: FilesPort): (job: WorkerJob) => Promise<JobResult | undefined> {
  let engine: Promise<TarEngine> | undefined;
  /** The open CRC of each stream whose last file continues into its next chunk. */
  const open = new Map<number, bigint>();
  /** One reader per stream, as the main thread has one getter per reassembly: its cache of checked directories lasts as long. */
  const readers = new Map<number, LayerFileReader | undefined>();
  const readerFor = (stream: number, dir: string): LayerFileReader | undefined => {
    if (!readers.has(stream)) {
      if (readers.size >= 64) {
        // Streams never ended.
        const [oldest, reader] = readers.entries().next().value!;
        reader?.close();
        readers.delete(oldest);
      }
      readers.set(stream, files && LayerFileReader.of(files, dir));
    }
    return readers.get(stream);
  };
  return async (job) => {
    if (job.kind === "end-stream") {
      open.delete(job.stream);
      readers.get(job.stream)?.close();
      readers.delete(job.stream);
      return undefined;
    }
    if (job.kind === "create") {
      const reply = await createFiles(files, job);
      return { reply, transfer: [reply.buf] };
    }
    engine ??= TarEngine.create();
    const reply = checkChunk(await engine, job, open, job.read ? readerFor(job.stream, job.read.dir) : undefined);
    return { reply, transfer: [job.buf] };
  };
}

const PROBE = new Uint8Array(1);

function checkChunk(engine: TarEngine, job: CrcJob, open: Map<number, bigint>, reader: LayerFileReader | undefined): CrcReply {
  const bytes = new Uint8Array(job.buf);
  const window = engine.window;
  let expectedAt = 0;
  const names = job.read?.names.split("\0");
  let nextName = 0;
  const fail = (i: number, reason: RangeFailure): CrcReply => {
    open.delete(job.stream);
    return { kind: "crc", buf: job.buf, failed: i / 3, reason };
  };
  for (let i = 0; i < job.ranges.length; i += 3) {
    const offset = job.ranges[i]!;
    const length = job.ranges[i + 1]!;
    const flags = job.ranges[i + 2]!;
    const position = job.read ? job.read.reads[i / 3]! : NOT_READ;
    if (position !== NOT_READ) {
      const name = names![nextName++]!;
      if (!reader) return fail(i, { error: "this worker cannot read layer files" });
      let got: number | null | undefined;
      let longer = false;
      // A byte of room past the file's end (when the chunk has it) lets a reader see the end in
      // one read; a longer file writes into it, and this chunk fails anyway.
      const room = offset + length < bytes.length && (position < 0 || flags & RANGE_END) ? 1 : 0;
      try {
        if (position < 0) {
          got = reader.read(name, bytes.subarray(offset, offset + length + room));
        } else {
          got = reader.read(name, bytes.subarray(offset, offset + length + room), position);
          // A large file's last piece with no room after it: one more byte tells a longer file.
          longer = !room && (flags & RANGE_END) !== 0 && got === length && (reader.read(name, PROBE, position + length) ?? 0) > 0;
        }
      } catch (e) {
        return fail(i, { error: (e as Error).message, code: (e as { code?: unknown }).code as string | undefined });
      }
      if (got === null) return fail(i, "missing");
      if (got === undefined || got > length || longer) return fail(i, "longer");
      if (got < length) return fail(i, { shorter: length - got });
    }
    // The CRC lives in engine memory; only a file that continues from the last chunk brings one.
    if (flags & RANGE_START) engine.crcStart();
    else engine.crcSet(open.get(job.stream) ?? 0n);
    // Through the engine window a window-full at a time.
    for (let at = offset; at < offset + length;) {
      const n = Math.min(offset + length - at, window.length);
      window.set(bytes.subarray(at, at + n), 0);
      engine.crcAdd(0, n);
      at += n;
    }
    if (flags & RANGE_END) {
      if (!engine.crcIs(job.expected, expectedAt)) return fail(i, "crc");
      expectedAt += 8;
    }
  }
  const last = job.ranges.length - 3;
  if (last >= 0 && !(job.ranges[last + 2]! & RANGE_END)) open.set(job.stream, engine.crcGet());
  else open.delete(job.stream);
  return { kind: "crc", buf: job.buf, failed: -1 };
}

async function createFiles(files: FilesPort | undefined, job: CreateJob): Promise<CreateReply> {
  const failures: CreateReply["failures"] = [];
  for (let i = 0; i < job.paths.length; i++) {
    const [offset, length, mode, uid, gid, atimeMs, mtimeMs] = job.files.slice(i * CREATE_FIELDS, (i + 1) * CREATE_FIELDS) as [number, number, number, number, number, number, number];
    try {
      if (!files?.createFile) throw new Error("this worker cannot create files");
      const owner = uid >= 0 ? { uid, gid } : undefined;
      await files.createFile(job.paths[i]!, new Uint8Array(job.buf, offset, length), { mode, owner, atimeMs, mtimeMs });
    } catch (e) {
      const { code, errno } = e as { code?: unknown; errno?: unknown };
      failures.push({ index: i, code: typeof code === "string" ? code : "IO", errno: typeof errno === "string" ? errno : undefined, message: (e as Error).message });
    }
  }
  // The buffer goes back: the caller gathers its next batch in it, and takes the bodies of files
  // found in the way (EEXIST) from it, to create them itself.
  return { kind: "create", buf: job.buf, failures };
}
