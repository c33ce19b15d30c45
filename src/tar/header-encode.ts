/**
 * Tar header encoding exactly as Go's archive/tar Writer emits it for Docker's layer tars
 * (go-archive `FileInfoHeader` sets Format = PAX, truncates mtime to seconds and drops
 * atime/ctime). Go picks USTAR whenever every field fits (splitting a long name into prefix and
 * name when it can) and PAX otherwise; GNU is never chosen under Format = PAX.
 *
 * Strings are handled as "binary strings" (one char per byte) so that lengths, comparisons and
 * path cleaning work on bytes as Go's do, whatever the names' encoding.
 */
import { WharfError } from "../errors.ts";
import { concatBytes } from "../io/bytes.ts";
import { cleanPath } from "../format/go-path.ts";

export const BLOCK_SIZE = 512;

export const TypeFlag = {
  reg: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
} as const;

export interface TarEntryHeader {
  /** Entry path (directories end in `/`); a string is encoded as UTF-8, bytes are kept as is. */
  name: string | Uint8Array;
  /** One-character type flag, see `TypeFlag`. */
  typeflag: string;
  /** Permission, set-id and sticky bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Body length; a hard link's is 0. Recorded but never followed by data for header-only types. */
  size: number;
  /** Modification time in seconds since the epoch; fractions are truncated. */
  mtime: number;
  linkname?: string | Uint8Array;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as `SCHILY.xattr.<name>` PAX records. */
  xattrs?: Record<string, string | Uint8Array>;
  /** Further PAX records (keys of basic fields are ignored, as Go does). */
  paxRecords?: Record<string, string | Uint8Array>;
}

const NAME_SIZE = 100;
const PREFIX_SIZE = 155;
const HEADER_ONLY_TYPES = new Set(["1", "2", "3", "4", "5", "6"]);
const BASIC_PAX_KEYS = new Set(["path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime", "atime", "ctime"]);
const XATTR_PREFIX = "SCHILY.xattr.";

/** Does this type flag carry no body even when its header records a size? */
export function isHeaderOnlyType(typeflag: string): boolean {
  return HEADER_ONLY_TYPES.has(typeflag);
}

/**
 * The blocks Go writes before an entry's body: for PAX, the `x` header and its padded records
 * first; then the entry's own header block.
 */
export function encodeTarHeader(header: TarEntryHeader): Uint8Array {
  const fields = normalize(header);
  const { useUSTAR, paxRecords } = chooseFormat(fields);
  if (useUSTAR) return ustarHeader(fields);
  return concatBytes([...paxExtendedHeader(fields.name, paxRecords), paxMainHeader(fields)]);
}

interface Fields {
  name: string;
  linkname: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  xattrs: Array<[string, string]>;
  paxRecords: Array<[string, string]>;
}

function normalize(header: TarEntryHeader): Fields {
  if (typeof header.typeflag !== "string" || header.typeflag.length !== 1) {
    throw headerError(`typeflag must be one character, got ${JSON.stringify(header.typeflag)}`);
  }
  const name = toBinary(header.name);
  let typeflag = header.typeflag;
  // Go rewrites the deprecated TypeRegA ("\0") by the name's trailing slash.
  if (typeflag === "\0") typeflag = name.endsWith("/") ? TypeFlag.dir : TypeFlag.reg;
  for (const [field, value] of [["mode", header.mode], ["uid", header.uid], ["gid", header.gid], ["size", header.size], ["mtime", header.mtime]] as const) {
    if (!Number.isFinite(value)) throw headerError(`${field} must be a finite number, got ${value}`);
  }
  return {
    name,
    linkname: toBinary(header.linkname ?? ""),
    typeflag,
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    size: header.size,
    mtime: Math.floor(header.mtime),
    uname: toBinary(header.uname ?? ""),
    gname: toBinary(header.gname ?? ""),
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
    xattrs: Object.entries(header.xattrs ?? {}).map(([k, v]) => [toBinary(k), toBinary(v)]),
    paxRecords: Object.entries(header.paxRecords ?? {}).map(([k, v]) => [toBinary(k), toBinary(v)]),
  };
}

/** Go's Header.allowedFormats restricted to what Format = PAX permits (USTAR or PAX). */
function chooseFormat(h: Fields): { useUSTAR: boolean; paxRecords: Map<string, string> } {
  let ustarOK = true;
  const pax = new Map<string, string>();
  const requested = new Map(h.paxRecords);

  const verifyString = (s: string, size: number, key: string): void => {
    const tooLong = s.length > size;
    if (!isASCII(s) || tooLong) {
      if (key !== "path" || splitUSTARPath(s) === undefined) ustarOK = false;
      pax.set(key, s);
    }
    if (requested.get(key) === s) pax.set(key, s);
  };
  const verifyNumeric = (n: number, size: number, name: string, key: string | undefined): void => {
    if (!fitsInOctal(size, n)) {
      ustarOK = false;
      if (key === undefined) throw headerError(`${name} ${n} cannot be encoded in a PAX or USTAR header`);
      pax.set(key, String(n));
    }
    if (key !== undefined && requested.get(key) === String(n)) pax.set(key, String(n));
  };

  verifyString(h.name, NAME_SIZE, "path");
  verifyString(h.linkname, NAME_SIZE, "linkpath");
  verifyString(h.uname, 32, "uname");
  verifyString(h.gname, 32, "gname");
  verifyNumeric(h.mode, 8, "mode", undefined);
  verifyNumeric(h.uid, 8, "uid", "uid");
  verifyNumeric(h.gid, 8, "gid", "gid");
  verifyNumeric(h.size, 12, "size", "size");
  verifyNumeric(h.devmajor, 8, "devmajor", undefined);
  verifyNumeric(h.devminor, 8, "devminor", undefined);
  // mtime: whole seconds, so PAX is needed only when it does not fit the octal field.
  if (!fitsInOctal(12, h.mtime)) {
    ustarOK = false;
    pax.set("mtime", String(h.mtime));
  }
  if (requested.get("mtime") === String(h.mtime)) pax.set("mtime", String(h.mtime));

  if (["0", "3", "4", "6", "S"].includes(h.typeflag) && h.name.endsWith("/")) {
    throw headerError(`${fromBinary(h.name)}: filename may not have trailing slash`);
  }
  if (["x", "g", "L", "K"].includes(h.typeflag)) throw headerError(`typeflag ${h.typeflag} cannot be written directly`);
  if (!isHeaderOnlyType(h.typeflag) && h.size < 0) throw headerError("negative size");

  if (h.xattrs.length > 0) {
    for (const [k, v] of h.xattrs) pax.set(XATTR_PREFIX + k, v);
    ustarOK = false; // only PAX carries xattrs
  }
  if (h.paxRecords.length > 0) {
    for (const [k, v] of h.paxRecords) {
      if (pax.has(k) || BASIC_PAX_KEYS.has(k)) continue;
      pax.set(k, v);
    }
    ustarOK = false;
  }
  for (const [k, v] of pax) {
    if (!validPAXRecord(k, v)) throw headerError(`invalid PAX record: ${JSON.stringify(`${k} = ${v}`)}`);
  }
  return { useUSTAR: ustarOK, paxRecords: pax };
}

function ustarHeader(h: Fields): Uint8Array {
  const split = splitUSTARPath(h.name);
  const block = templateV7Plus({ ...h, name: split ? split.suffix : h.name }, false);
  writeString(block, 345, PREFIX_SIZE, split ? split.prefix : "");
  return finishBlock(block);
}

function paxMainHeader(h: Fields): Uint8Array {
  return finishBlock(templateV7Plus(h, true));
}

/** The `x` header naming `<dir>/PaxHeaders.0/<file>`, then its records padded to a block. */
function paxExtendedHeader(realName: string, records: Map<string, string>): Uint8Array[] {
  const keys = [...records.keys()].sort(compareBytes);
  const data = keys.map((k) => formatPAXRecord(k, records.get(k)!)).join("");
  const slash = realName.lastIndexOf("/");
  const dir = realName.slice(0, slash + 1);
  const file = realName.slice(slash + 1);
  let name = toASCII(joinPath([dir, "PaxHeaders.0", file]));
  if (name.length > NAME_SIZE) name = name.slice(0, NAME_SIZE);
  name = name.replace(/\/+$/, "");

  const block = new Uint8Array(BLOCK_SIZE);
  block[156] = "x".charCodeAt(0);
  writeString(block, 0, NAME_SIZE, name);
  writeOctal(block, 100, 8, 0);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, data.length);
  writeOctal(block, 136, 12, 0);
  return [finishBlock(block), padToBlock(fromBinaryBytes(data))];
}

function templateV7Plus(h: Fields, asciiOnly: boolean): Uint8Array {
  const str = asciiOnly ? toASCII : (s: string) => s;
  const block = new Uint8Array(BLOCK_SIZE);
  block[156] = h.typeflag.charCodeAt(0);
  writeString(block, 0, NAME_SIZE, str(h.name));
  writeString(block, 157, NAME_SIZE, str(h.linkname));
  writeOctal(block, 100, 8, h.mode);
  writeOctal(block, 108, 8, h.uid);
  writeOctal(block, 116, 8, h.gid);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, h.mtime);
  writeString(block, 265, 32, str(h.uname));
  writeString(block, 297, 32, str(h.gname));
  writeOctal(block, 329, 8, h.devmajor);
  writeOctal(block, 337, 8, h.devminor);
  return block;
}

/** USTAR/PAX magic and version, then the checksum: 6 octal digits, NUL, space. */
function finishBlock(block: Uint8Array): Uint8Array {
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  writeOctal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

/** Go's formatter.formatString, including its fix for a slash left at a truncated field's end. */
function writeString(block: Uint8Array, offset: number, size: number, s: string): void {
  const n = Math.min(size, s.length);
  for (let i = 0; i < n; i++) block[offset + i] = s.charCodeAt(i);
  if (s.length < size) block[offset + s.length] = 0;
  if (s.length > size && block[offset + size - 1] === 0x2f) {
    block[offset + s.slice(0, size - 1).replace(/\/+$/, "").length] = 0;
  }
}

/** Go's formatter.formatOctal: zero-padded, leaving room for a NUL; 0 when it does not fit. */
function writeOctal(block: Uint8Array, offset: number, size: number, value: number): void {
  const digits = (fitsInOctal(size, value) ? value : 0).toString(8);
  writeString(block, offset, size, digits.padStart(size - 1, "0"));
}

function fitsInOctal(size: number, value: number): boolean {
  return value >= 0 && (size >= 22 || value < 2 ** ((size - 1) * 3));
}

/** Splits a long ASCII path into a ≤155-byte prefix and ≤100-byte name at a slash, as Go does. */
function splitUSTARPath(name: string): { prefix: string; suffix: string } | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isASCII(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === "/") length--;
  const i = name.lastIndexOf("/", length - 1);
  const suffixLength = name.length - i - 1;
  if (i <= 0 || suffixLength > NAME_SIZE || suffixLength === 0 || i > PREFIX_SIZE) return undefined;
  return { prefix: name.slice(0, i), suffix: name.slice(i + 1) };
}

function formatPAXRecord(key: string, value: string): string {
  const padding = 3; // ' ', '=' and '\n'
  let size = key.length + value.length + padding;
  size += String(size).length;
  let record = `${size} ${key}=${value}\n`;
  if (record.length !== size) record = `${record.length} ${key}=${value}\n`;
  return record;
}

function validPAXRecord(key: string, value: string): boolean {
  if (key === "" || key.includes("=")) return false;
  if (["path", "linkpath", "uname", "gname"].includes(key)) return !value.includes("\0");
  return !key.includes("\0");
}

/** Go's path.Join: joins the non-empty elements with `/` and cleans the result. */
function joinPath(elements: string[]): string {
  const joined = elements.filter((e) => e !== "").join("/");
  return joined === "" ? "" : cleanPath(joined);
}


function isASCII(s: string): boolean {
  return !/[^\x00-\x7f]/.test(s);
}

/** Go's toASCII: drops every non-ASCII byte. */
function toASCII(s: string): string {
  return s.replace(/[^\x00-\x7f]/g, "");
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const utf8 = new TextEncoder();

function toBinary(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? utf8.encode(value) : value;
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function fromBinaryBytes(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

function fromBinary(s: string): string {
  return new TextDecoder().decode(fromBinaryBytes(s));
}

function padToBlock(data: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(data.length / BLOCK_SIZE) * BLOCK_SIZE);
  padded.set(data);
  return padded;
}

function headerError(message: string): WharfError {
  return new WharfError("TAR_HEADER", `cannot write tar header: ${message}`);
}
