/**
 * tar-split records and their JSON lines, byte for byte as Go's encoding/json writes
 * vbatts/tar-split `storage.Entry` (field order type, name, name_raw, size, payload, position).
 */
import { WharfError } from "../errors.ts";
import { RecordLineWriter } from "./tarsplit-encode.ts";

export const TAR_SPLIT_FILE = 1;
export const TAR_SPLIT_SEGMENT = 2;

export interface TarSplitRecord {
  type: typeof TAR_SPLIT_FILE | typeof TAR_SPLIT_SEGMENT;
  /** File name when it is valid UTF-8 (empty otherwise). */
  name?: string;
  /** File name bytes when they are not valid UTF-8. */
  nameRaw?: Uint8Array;
  size?: number;
  /** Segment: raw bytes. File: 8-byte big-endian CRC-64/ISO, or null when the size is 0. */
  payload: Uint8Array | null;
  position: number;
}

export function base64Decode(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new WharfError("TAR_SPLIT", "tar-split: invalid base64 in a record");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Bytes one record (a JSON line as `encodeRecord` writes it) adds to the rebuilt tar: a file's
 * `size`, or a segment's payload length, computed from the base64 length without decoding it.
 * Names cannot fool the scan: a quote inside a JSON string is escaped, so `"size":` and
 * `"payload":` only match keys.
 */
export function recordTarLength(line: string): number {
  if (line.startsWith(`{"type":${TAR_SPLIT_FILE},`)) {
    const size = /"size":(\d+)/.exec(line);
    return size ? Number(size[1]) : 0;
  }
  const at = line.lastIndexOf('"payload":"');
  if (at < 0) return 0; // null payload
  const start = at + '"payload":"'.length;
  const end = line.indexOf('"', start);
  const b64 = end - start;
  const padding = line[end - 1] === "=" ? (line[end - 2] === "=" ? 2 : 1) : 0;
  return (b64 / 4) * 3 - padding;
}

/** One record as a JSON line, newline included (RecordLineWriter's bytes, as text). */
export function encodeRecord(rec: TarSplitRecord): string {
  return UTF8.decode(encodedLine(rec));
}

const UTF8 = new TextDecoder();

function encodedLine(rec: TarSplitRecord): Uint8Array {
  const writer = new RecordLineWriter(256);
  writer.write(rec);
  return writer.take();
}

/** Parses one JSON line back into a record. */
export function decodeRecord(line: string): TarSplitRecord {
  let obj: { type?: unknown; name?: unknown; name_raw?: unknown; size?: unknown; payload?: unknown; position?: unknown };
  try {
    obj = JSON.parse(line);
  } catch {
    throw new WharfError("TAR_SPLIT", `tar-split: record is not JSON: ${line.slice(0, 60)}`);
  }
  const type = obj.type;
  if (type !== TAR_SPLIT_FILE && type !== TAR_SPLIT_SEGMENT) throw new WharfError("TAR_SPLIT", `tar-split: unknown record type ${String(type)}`);
  if (obj.payload !== null && obj.payload !== undefined && typeof obj.payload !== "string") {
    throw new WharfError("TAR_SPLIT", "tar-split: payload is not base64 text");
  }
  const size = obj.size ?? 0;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw new WharfError("TAR_SPLIT", "tar-split: invalid size");
  return {
    type,
    name: typeof obj.name === "string" ? obj.name : undefined,
    nameRaw: typeof obj.name_raw === "string" ? base64Decode(obj.name_raw) : undefined,
    size,
    payload: typeof obj.payload === "string" ? base64Decode(obj.payload) : null,
    position: typeof obj.position === "number" ? obj.position : -1,
  };
}


/** Bytes as a string of one char per byte, for byte-exact comparison of names. */
export function byteString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}
