// SIMD helpers over 512-byte tar blocks and C-string fields.

/** True when the 512-byte block at `p` is all zero bytes. */
export function isZeroBlock(p: usize): bool {
  let acc = v128.load(p);
  if (v128.any_true(acc)) return false; // a header starts with its name: decided in one load
  for (let i: usize = 16; i < 512; i += 16) acc = v128.or(acc, v128.load(p + i));
  return !v128.any_true(acc);
}

/** Unsigned and signed byte sums of a header, with the checksum field counted as eight spaces. */
export let sumUnsigned: i64 = 0;
export let sumSigned: i64 = 0;

export function headerSums(p: usize): void {
  // 32 vectors × 2 bytes per i16 lane: at most 16320 unsigned (fits u16), ±8192 signed.
  let u = i16x8.splat(0);
  let s = i16x8.splat(0);
  for (let i: usize = 0; i < 512; i += 16) {
    const v = v128.load(p + i);
    u = i16x8.add(u, i16x8.extadd_pairwise_i8x16_u(v));
    s = i16x8.add(s, i16x8.extadd_pairwise_i8x16_s(v));
  }
  const u32s = i32x4.extadd_pairwise_i16x8_u(u);
  const s32s = i32x4.extadd_pairwise_i16x8_s(s);
  let su: i64 = <i64>(i32x4.extract_lane(u32s, 0) + i32x4.extract_lane(u32s, 1) + i32x4.extract_lane(u32s, 2) + i32x4.extract_lane(u32s, 3));
  let ss: i64 = <i64>(i32x4.extract_lane(s32s, 0) + i32x4.extract_lane(s32s, 1) + i32x4.extract_lane(s32s, 2) + i32x4.extract_lane(s32s, 3));
  for (let i: usize = 148; i < 156; i++) {
    su -= <i64>load<u8>(p + i);
    ss -= <i64>load<i8>(p + i);
  }
  sumUnsigned = su + 8 * 32;
  sumSigned = ss + 8 * 32;
}

/** Length of the C string at `p`: index of the first NUL, or `max` when there is none. */
export function cstrLen(p: usize, max: u32): u32 {
  const zero = i8x16.splat(0);
  for (let i: u32 = 0; i < max; i += 16) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p + i), zero));
    if (mask != 0) {
      const at = i + <u32>ctz(mask);
      return at < max ? at : max;
    }
  }
  return max;
}
