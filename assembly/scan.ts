// The batch scanner: walks as many tar entries as the window holds in one call, writing one
// record per entry (extension headers folded in) into the entry table.
import {
  E_BODY, E_BODY_LEN, E_CRC, E_DEVMAJOR, E_DEVMINOR, E_ENTRY_START, E_FLAGS, E_FORMAT, E_GID, E_GNAME_LEN, E_HEADER,
  E_KIND, E_LONG_LINK, E_LONG_NAME, E_MODE, E_MTIME, E_NAME_LEN, E_PAD, E_PAX_COUNT, E_PAX_FIRST, E_SIZE, E_TYPEFLAG,
  E_UID, ENTRY_BYTES, ENTRY_CAPACITY, ERR_CHECKSUM, ERR_HEADER, ERR_PAX, ERR_TOO_LONG, ERR_TOO_MANY_PAX, F_CRC,
  F_LONG_LINK, F_LONG_NAME, F_PAX, F_PAX_SIZE, FORMAT_GNU, FORMAT_STAR, FORMAT_USTAR, FORMAT_V7, KIND_END, KIND_ENTRY,
  KIND_ERROR, MAX_SPECIAL, STOP_BODY, STOP_END, STOP_ERROR, STOP_NEED_DATA, STOP_TABLE_FULL,
} from "./layout";
import { crc64Update } from "./crc64";
import { numericError, parseNumeric, parseOctal, resetNumericError } from "./numeric";
import { parsePax, paxPathLast, paxSize } from "./pax";
import { cstrLen, headerSums, isZeroBlock, sumSigned, sumUnsigned } from "./simd";

/** Scan flag: compute the CRC-64/ISO of every body that lies wholly in the window. */
export const SCAN_CRC: u32 = 1;
/**
 * Scan flag: only walk the archive (checksums, typeflags, sizes, extension headers); the other
 * numeric fields and string lengths are neither parsed nor validated. For counting scans.
 */
export const SCAN_WALK: u32 = 2;

export let scanStop: u32 = 0;
export let stopReason: u32 = 0;
export let entryCount: u32 = 0;

function padding(n: i64): u32 {
  return <u32>((512 - (n & 511)) & 511);
}

function detectFormat(h: usize): u8 {
  // magic "ustar\0" / "ustar " at 257, version at 263, star trailer "tar\0" at 508
  const m0 = load<u32>(h + 257);
  if (m0 != 0x61747375 || load<u8>(h + 261) != 0x72) return FORMAT_V7; // "usta" + "r"
  const m5 = load<u8>(h + 262);
  if (m5 == 0) return load<u32>(h + 508) == 0x00726174 ? FORMAT_STAR : FORMAT_USTAR;
  if (m5 == 0x20 && load<u8>(h + 263) == 0x20 && load<u8>(h + 264) == 0) return FORMAT_GNU;
  return FORMAT_V7;
}

function isHeaderOnly(t: u8): bool {
  return t >= 0x31 && t <= 0x36; // '1'..'6': link, symlink, char, block, dir, fifo
}

function fail(table: usize, code: u8, at: u32): u32 {
  const r = table + <usize>entryCount * ENTRY_BYTES;
  store<u32>(r + E_KIND, KIND_ERROR);
  store<u32>(r + E_HEADER, at);
  store<u8>(r + E_GNAME_LEN + 1, code);
  entryCount++;
  scanStop = at;
  stopReason = STOP_ERROR;
  return entryCount;
}

function stop(reason: u32, at: u32): u32 {
  scanStop = at;
  stopReason = reason;
  return entryCount;
}

/**
 * Scans from window offset `pos` (a header boundary) to `end`. Returns the number of records
 * written; `scanStop` and `stopReason` tell where and why it stopped.
 */
export function scan(win: usize, table: usize, paxTable: usize, crcTables: usize, pos: u32, end: u32, flags: u32): u32 {
  entryCount = 0;
  let paxUsed: u32 = 0;
  while (true) {
    const entryStart = pos;
    let entryFlags: u32 = 0;
    let longName: u32 = 0, longNameLen: u32 = 0, longLink: u32 = 0, longLinkLen: u32 = 0;
    let paxFirst: u32 = paxUsed, paxCount: u32 = 0, paxSizeValue: i64 = -1, pathLast: i32 = -1;
    let global = false;
    let globalPad: u32 = 0;
    // Extension headers (x, g, L, K) and their data precede the entry's own header.
    while (true) {
      if (end - pos < 512) return stop(STOP_NEED_DATA, entryStart);
      const h = win + pos;
      if (isZeroBlock(h)) {
        if (end - pos < 1024) return stop(STOP_NEED_DATA, entryStart);
        if (!isZeroBlock(h + 512)) return fail(table, ERR_HEADER, pos + 512);
        const r = table + <usize>entryCount * ENTRY_BYTES;
        store<u32>(r + E_KIND, KIND_END);
        store<u32>(r + E_ENTRY_START, entryStart);
        store<u32>(r + E_HEADER, pos);
        store<u32>(r + E_BODY, pos + 1024);
        entryCount++;
        return stop(STOP_END, pos + 1024);
      }
      resetNumericError();
      headerSums(h);
      const chk = parseOctal(h + 148, 8);
      if (numericError || (chk != sumUnsigned && chk != sumSigned)) return fail(table, ERR_CHECKSUM, pos);
      const t = load<u8>(h + 156);
      if (t != 0x78 && t != 0x67 && t != 0x4c && t != 0x4b) break; // not x, g, L, K
      const size = parseNumeric(h + 124, 12);
      if (numericError || size < 0) return fail(table, ERR_HEADER, pos);
      if (size > MAX_SPECIAL) return fail(table, ERR_TOO_LONG, pos);
      const data = pos + 512;
      const dataEnd = data + <u32>size;
      const padEnd = dataEnd + padding(size);
      // A global header's padding is read with the next entry, as Go does.
      if ((t == 0x67 ? dataEnd : padEnd) > end) return stop(STOP_NEED_DATA, entryStart);
      if (t == 0x78 || t == 0x67) {
        const n = parsePax(paxTable, paxUsed, win + data, <usize>size);
        if (n == -1) return fail(table, ERR_PAX, pos);
        if (n == -2) return entryCount == 0 ? fail(table, ERR_TOO_MANY_PAX, pos) : stop(STOP_TABLE_FULL, entryStart);
        paxFirst = paxUsed; // the last PAX header before an entry is the one that applies
        paxCount = <u32>n;
        paxSizeValue = paxSize;
        pathLast = paxPathLast;
        entryFlags |= F_PAX;
        if (t == 0x67) {
          global = true;
          globalPad = padding(size);
          pos = data; // the header block itself is described below
          break;
        }
      } else {
        const len = cstrLen(win + data, <u32>size);
        if (t == 0x4c) {
          longName = data;
          longNameLen = len;
          entryFlags |= F_LONG_NAME;
        } else {
          longLink = data;
          longLinkLen = len;
          entryFlags |= F_LONG_LINK;
        }
      }
      pos = padEnd;
    }
    const headerPos = global ? pos - 512 : pos;
    const h = win + headerPos;
    const format = detectFormat(h);
    const typeflag = load<u8>(h + 156);
    resetNumericError();
    const headerSize = parseNumeric(h + 124, 12);
    const walkOnly = (flags & SCAN_WALK) != 0;
    let mode: i64 = 0, uid: i64 = 0, gid: i64 = 0, mtime: i64 = 0, devmajor: i64 = 0, devminor: i64 = 0;
    if (!walkOnly) {
      mode = parseNumeric(h + 100, 8);
      uid = parseNumeric(h + 108, 8);
      gid = parseNumeric(h + 116, 8);
      mtime = parseNumeric(h + 136, 12);
    }
    const nameLen = walkOnly && typeflag != 0 ? 0 : cstrLen(h, 100);
    let prefixLen: u32 = 0, unameLen: u32 = 0, gnameLen: u32 = 0;
    if (format != FORMAT_V7 && (!walkOnly || typeflag == 0)) {
      devmajor = parseNumeric(h + 329, 8);
      devminor = parseNumeric(h + 337, 8);
      unameLen = cstrLen(h + 265, 32);
      gnameLen = cstrLen(h + 297, 32);
      if (format == FORMAT_USTAR) prefixLen = cstrLen(h + 345, 155);
      else if (format == FORMAT_STAR) prefixLen = cstrLen(h + 345, 131);
    }
    if (numericError) return fail(table, ERR_HEADER, headerPos);
    let size = headerSize;
    if (paxSizeValue >= 0) {
      size = paxSizeValue;
      entryFlags |= F_PAX_SIZE;
    }
    if (size < 0) return fail(table, ERR_HEADER, headerPos);
    let bodyLen: i64 = size;
    let pad: u32 = padding(size);
    let bodyOff = headerPos + 512;
    if (global) {
      bodyOff = pos + <u32>headerSize;
      size = 0;
      bodyLen = 0;
      pad = globalPad;
    } else {
      let isDir = isHeaderOnly(typeflag);
      if (typeflag == 0) isDir = lastNameByte(h, nameLen, prefixLen, longName, longNameLen, pathLast, win) == 0x2f; // legacy '/'
      if (isDir) {
        bodyLen = 0;
        pad = 0;
      }
    }
    const r = table + <usize>entryCount * ENTRY_BYTES;
    store<u32>(r + E_KIND, KIND_ENTRY);
    store<u32>(r + E_ENTRY_START, entryStart);
    store<u32>(r + E_HEADER, headerPos);
    store<u32>(r + E_BODY, bodyOff);
    store<i64>(r + E_SIZE, size);
    store<i64>(r + E_MODE, mode);
    store<i64>(r + E_UID, uid);
    store<i64>(r + E_GID, gid);
    store<i64>(r + E_MTIME, mtime);
    store<i64>(r + E_DEVMAJOR, devmajor);
    store<i64>(r + E_DEVMINOR, devminor);
    store<i64>(r + E_BODY_LEN, bodyLen);
    store<u8>(r + E_TYPEFLAG, typeflag);
    store<u8>(r + E_FORMAT, format);
    store<u16>(r + E_PAD, <u16>pad);
    store<u32>(r + E_LONG_NAME, longName);
    store<u32>(r + E_LONG_NAME + 4, longNameLen);
    store<u32>(r + E_LONG_LINK, longLink);
    store<u32>(r + E_LONG_LINK + 4, longLinkLen);
    store<u32>(r + E_PAX_FIRST, paxFirst);
    store<u32>(r + E_PAX_COUNT, paxCount);
    store<u8>(r + E_NAME_LEN, <u8>nameLen);
    store<u8>(r + E_NAME_LEN + 1, <u8>cstrLen(h + 157, 100));
    store<u8>(r + E_NAME_LEN + 2, <u8>prefixLen);
    store<u8>(r + E_NAME_LEN + 3, <u8>unameLen);
    store<u8>(r + E_GNAME_LEN, <u8>gnameLen);
    store<u8>(r + E_GNAME_LEN + 1, 0);
    paxUsed = paxFirst + paxCount;
    entryCount++;
    const next = <i64>bodyOff + bodyLen + <i64>pad;
    if (next > <i64>end) {
      store<u32>(r + E_FLAGS, entryFlags);
      return stop(STOP_BODY, bodyOff);
    }
    if ((flags & SCAN_CRC) != 0 && bodyLen > 0) {
      store<u64>(r + E_CRC, crc64Update(crcTables, 0, win + bodyOff, <usize>bodyLen));
      entryFlags |= F_CRC;
    }
    store<u32>(r + E_FLAGS, entryFlags);
    pos = <u32>next;
    if (entryCount == ENTRY_CAPACITY) return stop(STOP_TABLE_FULL, pos);
  }
}

/** Last byte of the name Go ends up with (GNU long name > PAX path > prefix/name); -1 if empty. */
function lastNameByte(h: usize, nameLen: u32, prefixLen: u32, longName: u32, longNameLen: u32, pathLast: i32, win: usize): i32 {
  if (longNameLen > 0) return <i32>load<u8>(win + longName + longNameLen - 1);
  if (pathLast >= 0) return pathLast;
  if (nameLen > 0) return <i32>load<u8>(h + nameLen - 1);
  return prefixLen > 0 ? 0x2f : -1;
}
