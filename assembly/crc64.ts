// CRC-64/ISO (Go hash/crc64 with crc64.ISO): reflected polynomial 0xD800000000000000,
// init and final xor all ones. Slicing-by-8 over native i64.

const POLY: u64 = 0xD800000000000000;

export function buildCrcTables(tables: usize): void {
  for (let i: u32 = 0; i < 256; i++) {
    let crc = <u64>i;
    for (let k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ POLY : crc >> 1;
    store<u64>(tables + (<usize>i << 3), crc);
  }
  for (let t: usize = 1; t < 8; t++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u64>(tables + ((t - 1) << 11) + (i << 3));
      const next = load<u64>(tables + ((<usize>(prev & 0xff)) << 3)) ^ (prev >> 8);
      store<u64>(tables + (t << 11) + (i << 3), next);
    }
  }
}

/** Continues a CRC (`crc` is a previous result, 0 to start) over `len` bytes at `p`. */
export function crc64Update(tables: usize, crc: u64, p: usize, len: usize): u64 {
  let c = ~crc;
  const end = p + len;
  while (p < end && (p & 7) != 0) {
    c = load<u64>(tables + ((<usize>((c ^ <u64>load<u8>(p)) & 0xff)) << 3)) ^ (c >> 8);
    p++;
  }
  while (p + 8 <= end) {
    c ^= load<u64>(p);
    c =
      load<u64>(tables + (7 << 11) + ((<usize>(c & 0xff)) << 3)) ^
      load<u64>(tables + (6 << 11) + ((<usize>((c >> 8) & 0xff)) << 3)) ^
      load<u64>(tables + (5 << 11) + ((<usize>((c >> 16) & 0xff)) << 3)) ^
      load<u64>(tables + (4 << 11) + ((<usize>((c >> 24) & 0xff)) << 3)) ^
      load<u64>(tables + (3 << 11) + ((<usize>((c >> 32) & 0xff)) << 3)) ^
      load<u64>(tables + (2 << 11) + ((<usize>((c >> 40) & 0xff)) << 3)) ^
      load<u64>(tables + (1 << 11) + ((<usize>((c >> 48) & 0xff)) << 3)) ^
      load<u64>(tables + ((<usize>(c >> 56)) << 3));
    p += 8;
  }
  while (p < end) {
    c = load<u64>(tables + ((<usize>((c ^ <u64>load<u8>(p)) & 0xff)) << 3)) ^ (c >> 8);
    p++;
  }
  return ~c;
}
