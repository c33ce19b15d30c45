/**
 * The parsed tar header model, built from an engine record the way Go's archive/tar Reader
 * builds `tar.Header`: ustar prefix joined, PAX records merged, GNU long names applied last.
 */
import { WharfError } from "../errors.ts";
import { F_PAX, type BlockFormat, type EngineRecord } from "./engine.ts";

export type TarFormat = "v7" | "ustar" | "pax" | "gnu" | "star";

export interface TarTime {
  seconds: number;
  /** 0 ≤ nanoseconds < 1e9 */
  nanoseconds: number;
}

export interface TarHeader {
  /** Go's hdr.Name. Not valid UTF-8 → decoded with U+FFFD; `nameBytes` holds the bytes. */
  name: string;
  nameBytes: Uint8Array;
  linkname: string;
  linknameBytes: Uint8Array;
  /** Typeflag character; a legacy NUL flag becomes "0" or "5" as Go does. */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** The header's size (after a PAX override), even for types that carry no body. */
  size: number;
  mtime: TarTime;
  atime: TarTime | undefined;
  ctime: TarTime | undefined;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.<name>` records; values are raw bytes. */
  xattrs: ReadonlyMap<string, Uint8Array>;
  /** Every PAX record of the entry's extended header (last one wins), values raw. */
  paxRecords: ReadonlyMap<string, Uint8Array>;
  format: TarFormat;
}

const utf8 = new TextDecoder();
const NO_RECORDS: ReadonlyMap<string, Uint8Array> = new Map();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export function isValidUtf8(bytes: Uint8Array): boolean {
  if (isAscii(bytes)) return true; // without decoding a string only to drop it
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

function copy(window: Uint8Array, offset: number, length: number): Uint8Array {
  return window.slice(offset, offset + length);
}

function concatPath(prefix: Uint8Array, name: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 1 + name.length);
  out.set(prefix);
  out[prefix.length] = 0x2f;
  out.set(name, prefix.length + 1);
  return out;
}

/** strconv.ParseInt(s, 10, 64), limited to safe JS integers. */
export function parseGoInt(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Go's parsePAXTime: "secs[.frac]", fraction right-padded/truncated to nanoseconds. */
export function parsePaxTime(text: string): TarTime | undefined {
  const dot = text.indexOf(".");
  const secText = dot < 0 ? text : text.slice(0, dot);
  const fracText = dot < 0 ? "" : text.slice(dot + 1);
  const seconds = parseGoInt(secText);
  if (seconds === undefined) return undefined;
  if (fracText.length === 0) return { seconds, nanoseconds: 0 };
  if (!/^[0-9]+$/.test(fracText)) return undefined;
  const nanos = Number(fracText.slice(0, 9).padEnd(9, "0"));
  if (secText.startsWith("-") && nanos > 0) return { seconds: seconds - 1, nanoseconds: 1e9 - nanos };
  return { seconds, nanoseconds: nanos };
}

function headerError(offset: number, what: string): WharfError {
  return new WharfError("TAR_HEADER", `tar: invalid ${what} in header at offset ${offset}`);
}

/**
 * Builds the header for an entry record whose bytes are still in `window`.
 * `streamOffset` is the stream position of window[0], for messages.
 */
export function buildHeader(rec: EngineRecord, window: Uint8Array, streamOffset: number): TarHeader {
  const at = streamOffset + rec.header;
  const h = rec.header;
  let nameBytes = copy(window, h, rec.nameLength);
  if (rec.prefixLength > 0) nameBytes = concatPath(copy(window, h + 345, rec.prefixLength), nameBytes);
  let linknameBytes = copy(window, h + 157, rec.linknameLength);
  let uname = utf8.decode(window.subarray(h + 265, h + 265 + rec.unameLength));
  let gname = utf8.decode(window.subarray(h + 297, h + 297 + rec.gnameLength));
  let { uid, gid } = rec;
  let mtime: TarTime = { seconds: rec.mtime, nanoseconds: 0 };
  let atime: TarTime | undefined;
  let ctime: TarTime | undefined;
  // Most entries have no PAX records: they share one empty map (the header's maps are read-only).
  const paxRecords = rec.pax.length > 0 ? new Map<string, Uint8Array>() : undefined;
  const xattrs = paxRecords ? new Map<string, Uint8Array>() : undefined;
  for (const [keyOff, keyLen, valOff, valLen] of rec.pax) {
    paxRecords!.set(utf8.decode(window.subarray(keyOff, keyOff + keyLen)), copy(window, valOff, valLen));
  }
  for (const [key, value] of paxRecords ?? NO_RECORDS) {
    if (value.length === 0) continue; // Go keeps the header's own value
    const text = (): string => utf8.decode(value);
    switch (key) {
      case "path": nameBytes = value; break;
      case "linkpath": linknameBytes = value; break;
      case "uname": uname = text(); break;
      case "gname": gname = text(); break;
      case "uid": uid = parseGoInt(text()) ?? badPax(at, key); break;
      case "gid": gid = parseGoInt(text()) ?? badPax(at, key); break;
      case "mtime": mtime = parsePaxTime(text()) ?? badPax(at, key); break;
      case "atime": atime = parsePaxTime(text()) ?? badPax(at, key); break;
      case "ctime": ctime = parsePaxTime(text()) ?? badPax(at, key); break;
      default:
        if (key.startsWith("SCHILY.xattr.")) xattrs!.set(key.slice("SCHILY.xattr.".length), value);
    }
  }
  if (rec.longName && rec.longName[1] > 0) nameBytes = copy(window, rec.longName[0], rec.longName[1]);
  if (rec.longLink && rec.longLink[1] > 0) linknameBytes = copy(window, rec.longLink[0], rec.longLink[1]);
  const name = utf8.decode(nameBytes);
  let typeflag = String.fromCharCode(rec.typeflag);
  if (rec.typeflag === 0) typeflag = name.endsWith("/") ? "5" : "0";
  if (!Number.isSafeInteger(rec.size)) throw headerError(at, "size");
  return {
    name,
    nameBytes,
    linkname: utf8.decode(linknameBytes),
    linknameBytes,
    typeflag,
    mode: rec.mode,
    uid,
    gid,
    size: rec.size,
    mtime,
    atime,
    ctime,
    uname,
    gname,
    devmajor: rec.devmajor,
    devminor: rec.devminor,
    xattrs: xattrs ?? NO_RECORDS,
    paxRecords: paxRecords ?? NO_RECORDS,
    format: entryFormat(rec.format, (rec.flags & F_PAX) !== 0, rec.longName !== undefined || rec.longLink !== undefined),
  };
}

function badPax(offset: number, key: string): never {
  throw headerError(offset, `PAX ${key} record`);
}

function entryFormat(block: BlockFormat, pax: boolean, gnuLong: boolean): TarFormat {
  if (pax) return "pax";
  if (gnuLong) return "gnu";
  return block;
}
