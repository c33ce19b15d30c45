// CRC-64/ISO (Go hash/crc64 with crc64.ISO): reflected polynomial 0xD800000000000000,
// init and final xor all ones. Slicing-by-16 over native i64: table k holds the CRC of a
// byte followed by k zero bytes, so 16 independent lookups replace 16 dependent steps.
// Long inputs run three lanes of slicing-by-8 side by side (one lane's chain of lookups is
// latency-bound), joined by the shift tables: the register after LANE more zero bytes.

const POLY: u64 = 0xD800000000000000;
export const CRC_SLICES: usize = 16;
/** Bytes per lane in one three-lane block. */
const LANE: usize = 4096;
/** Tables 16..23: byte k of a register shifted through LANE zero bytes. */
const SHIFT: usize = 16;

@inline function entry(tables: usize, table: usize, index: u64): u64 {
  return load<u64>(tables + (table << 11) + ((<usize>(index & 0xff)) << 3));
}

export function buildCrcTables(tables: usize): void {
  for (let i: u32 = 0; i < 256; i++) {
    let crc = <u64>i;
    for (let k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ POLY : crc >> 1;
    store<u64>(tables + (<usize>i << 3), crc);
  }
  for (let t: usize = 1; t < CRC_SLICES; t++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u64>(tables + ((t - 1) << 11) + (i << 3));
      store<u64>(tables + (t << 11) + (i << 3), entry(tables, 0, prev) ^ (prev >> 8));
    }
  }
  // The shift of each single bit (16 zero bytes per slicing step), then each byte value as
  // the xor of its bits' shifts.
  const bits = tables + ((SHIFT + 8) << 11); // scratch: 64 u64 after the shift tables
  for (let b: usize = 0; b < 64; b++) {
    let x: u64 = (<u64>1) << <u64>b;
    for (let n: usize = 0; n < LANE; n += 16) {
      x = entry(tables, 15, x) ^ entry(tables, 14, x >> 8) ^ entry(tables, 13, x >> 16) ^ entry(tables, 12, x >> 24) ^
        entry(tables, 11, x >> 32) ^ entry(tables, 10, x >> 40) ^ entry(tables, 9, x >> 48) ^ entry(tables, 8, x >> 56);
    }
    store<u64>(bits + (b << 3), x);
  }
  for (let k: usize = 0; k < 8; k++) {
    for (let v: usize = 0; v < 256; v++) {
      let x: u64 = 0;
      for (let j: usize = 0; j < 8; j++) if (((v >> j) & 1) != 0) x ^= load<u64>(bits + ((k * 8 + j) << 3));
      store<u64>(tables + ((SHIFT + k) << 11) + (v << 3), x);
    }
  }
}

/** The register after LANE zero bytes. */
@inline function shift(tables: usize, x: u64): u64 {
  return entry(tables, SHIFT, x) ^ entry(tables, SHIFT + 1, x >> 8) ^ entry(tables, SHIFT + 2, x >> 16) ^ entry(tables, SHIFT + 3, x >> 24) ^
    entry(tables, SHIFT + 4, x >> 32) ^ entry(tables, SHIFT + 5, x >> 40) ^ entry(tables, SHIFT + 6, x >> 48) ^ entry(tables, SHIFT + 7, x >> 56);
}

@inline function slice8(tables: usize, a: u64): u64 {
  return entry(tables, 7, a) ^ entry(tables, 6, a >> 8) ^ entry(tables, 5, a >> 16) ^ entry(tables, 4, a >> 24) ^
    entry(tables, 3, a >> 32) ^ entry(tables, 2, a >> 40) ^ entry(tables, 1, a >> 48) ^ entry(tables, 0, a >> 56);
}

/** Continues a CRC (`crc` is a previous result, 0 to start) over `len` bytes at `p`. */
export function crc64Update(tables: usize, crc: u64, p: usize, len: usize): u64 {
  let c = ~crc;
  const end = p + len;
  while (p < end && (p & 7) != 0) {
    c = entry(tables, 0, c ^ <u64>load<u8>(p)) ^ (c >> 8);
    p++;
  }
  // Three lanes: the first continues `c`, the others start at 0; c = shift(shift(c0) ^ c1) ^ c2.
  while (p + 3 * LANE <= end) {
    let c0 = c, c1: u64 = 0, c2: u64 = 0;
    const stop = p + LANE;
    for (let q = p; q < stop; q += 8) {
      c0 = slice8(tables, c0 ^ load<u64>(q));
      c1 = slice8(tables, c1 ^ load<u64>(q, LANE));
      c2 = slice8(tables, c2 ^ load<u64>(q, 2 * LANE));
    }
    c = shift(tables, shift(tables, c0) ^ c1) ^ c2;
    p += 3 * LANE;
  }
  while (p + 16 <= end) {
    const a = c ^ load<u64>(p);
    const b = load<u64>(p, 8);
    c =
      entry(tables, 15, a) ^ entry(tables, 14, a >> 8) ^ entry(tables, 13, a >> 16) ^ entry(tables, 12, a >> 24) ^
      entry(tables, 11, a >> 32) ^ entry(tables, 10, a >> 40) ^ entry(tables, 9, a >> 48) ^ entry(tables, 8, a >> 56) ^
      entry(tables, 7, b) ^ entry(tables, 6, b >> 8) ^ entry(tables, 5, b >> 16) ^ entry(tables, 4, b >> 24) ^
      entry(tables, 3, b >> 32) ^ entry(tables, 2, b >> 40) ^ entry(tables, 1, b >> 48) ^ entry(tables, 0, b >> 56);
    p += 16;
  }
  while (p < end) {
    c = entry(tables, 0, c ^ <u64>load<u8>(p)) ^ (c >> 8);
    p++;
  }
  return ~c;
}
