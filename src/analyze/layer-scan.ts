/**
 * One layer, streamed once: stored bytes → blob digest → decompress (by magic bytes) → diffID →
 * tar reader, keeping each entry's metadata (never its content). A layer that cannot be read to
 * its end keeps what was seen and says why in `error`; it never fails the whole inspection.
 */
import type { CompressionPort, DigesterFactory } from "../ports.ts";
import { openTarStream, type TarInput } from "../tar/input.ts";
import { TarReader } from "../tar/reader.ts";
import type { TarHeader } from "../tar/header.ts";
import type { FileEntry, LayerReport, Verified } from "./model.ts";
import { cleanMemberPath } from "../tarexport/archive.ts";

export interface AnalyzeDeps {
  digests: DigesterFactory;
  compression: CompressionPort;
}

export interface LayerExpectations {
  expectedDiffID?: string;
  expectedStoredDigest?: string;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

const KINDS: Record<string, FileEntry["kind"]> = { "0": "file", "7": "file", "5": "dir", "2": "symlink", "1": "hardlink", "3": "char", "4": "block", "6": "fifo" };

/** A tar header as a FileEntry; null for the root directory and names outside the layer. */
export function fileEntryOf(header: TarHeader, bodyLength: number): FileEntry | null {
  const path = cleanMemberPath(header.name);
  if (path === null || path === "") return null;
  const kind = KINDS[header.typeflag] ?? "file";
  const entry: FileEntry = { path, kind, size: kind === "file" ? bodyLength : 0, mode: header.mode, uid: header.uid, gid: header.gid };
  if (kind === "symlink" || kind === "hardlink") entry.linkname = header.linkname;
  const slash = path.lastIndexOf("/");
  const base = path.slice(slash + 1);
  const dir = slash < 0 ? "" : path.slice(0, slash);
  if (base === OPAQUE) {
    entry.path = dir;
    entry.opaque = true;
  } else if (base.startsWith(WHITEOUT) && !base.startsWith(WHITEOUT + WHITEOUT)) {
    entry.path = dir === "" ? base.slice(WHITEOUT.length) : `${dir}/${base.slice(WHITEOUT.length)}`;
    entry.whiteout = true;
  }
  return entry;
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? text;
}

function check(actual: string, expected: string | undefined): Verified {
  return expected === undefined ? undefined : actual === expected;
}

/** Reads a layer from `stream` (which this consumes or cancels) into a LayerReport. */
export async function scanLayer(
  stream: ReadableStream<Uint8Array>, source: string, storedSize: number, deps: AnalyzeDeps, expect: LayerExpectations = {},
): Promise<LayerReport> {
  const report: LayerReport = {
    source, compression: "none", storedSize, tarSize: 0, diffID: "", diffIDVerified: undefined,
    storedDigest: "", storedDigestVerified: undefined, entries: [],
  };
  if (expect.expectedDiffID !== undefined) report.expectedDiffID = expect.expectedDiffID;
  if (expect.expectedStoredDigest !== undefined) report.expectedStoredDigest = expect.expectedStoredDigest;
  let input: TarInput | undefined;
  try {
    input = await openTarStream(stream, deps);
    if (input.compression === "gzip" || input.compression === "zstd") report.compression = input.compression;
    const reader = new TarReader(input.source);
    for (let e = await reader.next(); e; e = await reader.next()) {
      const entry = fileEntryOf(e.header, e.bodyLength);
      if (entry) report.entries.push(entry);
    }
    // The diffID covers every byte of the tar, padding after the end marker included.
    for await (const _ of reader.trailing()) continue;
    const diff = input.diffID();
    report.diffID = diff.digest;
    report.tarSize = diff.size;
    report.storedDigest = input.blobDigest()?.digest ?? diff.digest;
  } catch (e) {
    report.error = oneLine(e);
    if (input) await input.cancel(e).catch(() => {});
    else await stream.cancel(e).catch(() => {});
  }
  report.diffIDVerified = check(report.diffID, report.expectedDiffID);
  report.storedDigestVerified = check(report.storedDigest, report.expectedStoredDigest);
  return report;
}

/** A layer that is named but absent (or unreadable) in the archive. */
export function missingLayer(source: string, error: string, expect: LayerExpectations = {}): LayerReport {
  const report: LayerReport = {
    source, compression: "none", storedSize: 0, tarSize: 0, diffID: "", diffIDVerified: undefined,
    storedDigest: "", storedDigestVerified: undefined, entries: [], error,
  };
  if (expect.expectedDiffID !== undefined) report.expectedDiffID = expect.expectedDiffID;
  if (expect.expectedStoredDigest !== undefined) report.expectedStoredDigest = expect.expectedStoredDigest;
  report.diffIDVerified = check("", report.expectedDiffID);
  report.storedDigestVerified = check("", report.expectedStoredDigest);
  return report;
}
