// Numeric header fields as Go's archive/tar parses them: octal (NUL/space padded) or
// base-256 (high bit set, two's complement when negative). Errors set `numericError`.

export let numericError: bool = false;

function isPad(c: u8): bool {
  return c == 0 || c == 0x20;
}

export function parseOctal(p: usize, len: usize): i64 {
  let start = p;
  let end = p + len;
  while (start < end && isPad(load<u8>(start))) start++;
  while (end > start && isPad(load<u8>(end - 1))) end--;
  if (start == end) return 0;
  let x: u64 = 0;
  for (let q = start; q < end; q++) {
    const c = load<u8>(q);
    if (c == 0) break; // the value ends at the first NUL
    if (c < 0x30 || c > 0x37 || (x >> 61) != 0) {
      numericError = true;
      return 0;
    }
    x = (x << 3) | <u64>(c - 0x30);
  }
  return <i64>x;
}

export function parseNumeric(p: usize, len: usize): i64 {
  const first = load<u8>(p);
  if ((first & 0x80) == 0) return parseOctal(p, len);
  const inv: u8 = (first & 0x40) != 0 ? 0xff : 0;
  let x: u64 = 0;
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(p + i) ^ inv;
    if (i == 0) c &= 0x7f;
    if ((x >> 56) != 0) {
      numericError = true;
      return 0;
    }
    x = (x << 8) | <u64>c;
  }
  if ((x >> 63) != 0) {
    numericError = true;
    return 0;
  }
  return inv != 0 ? ~(<i64>x) : <i64>x;
}

/** strconv.ParseInt(s, 10, 64) over `len` bytes at `p`. */
export function parseDecimal(p: usize, len: usize): i64 {
  let i: usize = 0;
  let negative = false;
  if (len > 0 && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) {
    negative = load<u8>(p) == 0x2d;
    i = 1;
  }
  if (i == len) {
    numericError = true;
    return 0;
  }
  let x: u64 = 0;
  for (; i < len; i++) {
    const c = load<u8>(p + i);
    if (c < 0x30 || c > 0x39) {
      numericError = true;
      return 0;
    }
    const next = x * 10 + <u64>(c - 0x30);
    if (next < x || next > <u64>0x8000000000000000) {
      numericError = true;
      return 0;
    }
    x = next;
  }
  if (!negative && x == <u64>0x8000000000000000) {
    numericError = true;
    return 0;
  }
  return negative ? -(<i64>x) : <i64>x;
}

export function resetNumericError(): void {
  numericError = false;
}
