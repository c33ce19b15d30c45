// PAX extended header records: "%d %s=%s\n". Splits them into (key, value) spans in the
// PAX table; values stay in the window. Rules follow Go's parsePAXRecord/validPAXRecord.
import { PAX_BYTES, PAX_CAPACITY } from "./layout";
import { numericError, parseDecimal, resetNumericError } from "./numeric";

export let paxSize: i64 = -1; // value of a "size" record, -1 when absent
export let paxPathLast: i32 = -1; // last byte of the last non-empty "path" value, -1 when none

function hasNul(p: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) == 0) return true;
  return false;
}

function equalsAscii(p: usize, len: usize, s: string): bool {
  if (<i32>len != s.length) return false;
  for (let i = 0; i < s.length; i++) if (<i32>load<u8>(p + i) != s.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses the records in [p, p+len) into the table starting at index `first`.
 * Returns the record count, or -1 when malformed (or -2 when the table is full).
 */
export function parsePax(table: usize, first: u32, p: usize, len: usize): i32 {
  paxSize = -1;
  paxPathLast = -1;
  let count: u32 = 0;
  let rest = p;
  const end = p + len;
  while (rest < end) {
    // Length field: decimal digits up to the first space.
    let q = rest;
    let n: i64 = 0;
    while (q < end && load<u8>(q) != 0x20) {
      const c = load<u8>(q);
      if (c < 0x30 || c > 0x39 || n > 0x7fffffff) return -1;
      n = n * 10 + <i64>(c - 0x30);
      q++;
    }
    if (q == end || q == rest) return -1;
    const avail = <i64>(end - rest);
    if (n < 5 || n > avail) return -1;
    const recEnd = rest + <usize>n; // one past the newline
    const body = q + 1;
    if (body >= recEnd) return -1;
    if (load<u8>(recEnd - 1) != 0x0a) return -1;
    let eq = body;
    while (eq < recEnd - 1 && load<u8>(eq) != 0x3d) eq++;
    if (eq == recEnd - 1) return -1;
    const keyLen = eq - body;
    const valOff = eq + 1;
    const valLen = recEnd - 1 - valOff;
    if (keyLen == 0) return -1;
    const pathLike =
      equalsAscii(body, keyLen, "path") || equalsAscii(body, keyLen, "linkpath") || equalsAscii(body, keyLen, "uname") || equalsAscii(body, keyLen, "gname");
    if (pathLike ? hasNul(valOff, valLen) : hasNul(body, keyLen)) return -1;
    if (equalsAscii(body, keyLen, "size")) {
      if (valLen == 0) paxSize = -1; // Go keeps the header value for empty records
      else {
        resetNumericError();
        paxSize = parseDecimal(valOff, valLen);
        if (numericError || paxSize < 0) return -1;
      }
    }
    if (equalsAscii(body, keyLen, "path")) paxPathLast = valLen > 0 ? <i32>load<u8>(valOff + valLen - 1) : -1;
    if (first + count >= PAX_CAPACITY) return -2;
    const at = table + <usize>(first + count) * PAX_BYTES;
    store<u32>(at, <u32>body);
    store<u32>(at, <u32>keyLen, 4);
    store<u32>(at, <u32>valOff, 8);
    store<u32>(at, <u32>valLen, 12);
    count++;
    rest = recEnd;
  }
  return <i32>count;
}
