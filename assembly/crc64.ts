// CRC-64/ISO (Go hash/crc64 with crc64.ISO): reflected polynomial 0xD800000000000000,
// init and final xor all ones. Slicing-by-16 over native i64: table k holds the CRC of a
// byte followed by k zero bytes, so 16 independent lookups replace 16 dependent steps.

const POLY: u64 = 0xD800000000000000;
export const CRC_SLICES: usize = 16;

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
}

/** Continues a CRC (`crc` is a previous result, 0 to start) over `len` bytes at `p`. */
export function crc64Update(tables: usize, crc: u64, p: usize, len: usize): u64 {
  let c = ~crc;
  const end = p + len;
  while (p < end && (p & 7) != 0) {
    c = entry(tables, 0, c ^ <u64>load<u8>(p)) ^ (c >> 8);
    p++;
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
