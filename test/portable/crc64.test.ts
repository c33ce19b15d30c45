import { test } from "uvu";
import * as assert from "uvu/assert";
import { Crc64, crc64Bytes, crc64Iso } from "../../src/tar/crc64.ts";
import { pseudoRandomBytes } from "../support/tar-builder.ts";

/** Bit-at-a-time CRC-64/ISO straight from the definition. */
function referenceCrc64(data: Uint8Array): bigint {
  const poly = 0xd800000000000000n;
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ 0xffffffffffffffffn;
}

test("check value of CRC-64/GO-ISO", async () => {
  assert.is(await crc64Iso(new TextEncoder().encode("123456789")), 0xb90956c775a41001n);
  assert.is(await crc64Iso(new Uint8Array(0)), 0n);
  assert.equal([...crc64Bytes(0xb90956c775a41001n)], [0xb9, 0x09, 0x56, 0xc7, 0x75, 0xa4, 0x10, 0x01]);
});

test("matches the bitwise reference over many lengths and alignments", async () => {
  const crc = await Crc64.create();
  const data = pseudoRandomBytes(4096, 12345);
  for (const len of [1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 256, 1000, 4000]) {
    for (const offset of [0, 1, 3, 5, 8, 13]) {
      const part = data.subarray(offset, offset + len);
      crc.reset();
      assert.is(crc.update(part).value(), referenceCrc64(part), `len ${len} offset ${offset}`);
    }
  }
});

test("incremental updates equal one update, across the 1 MiB step", async () => {
  const data = pseudoRandomBytes((1 << 20) + 4099, 777);
  const whole = (await Crc64.create()).update(data).value();
  const parts = await Crc64.create();
  for (let at = 0, k = 1; at < data.length; at += k, k = ((k * 7 + 3) % 70001) + 1) parts.update(data.subarray(at, at + k));
  assert.is(parts.value(), whole);
  assert.is(referenceCrc64(data.subarray(0, 20000)), (await Crc64.create()).update(data.subarray(0, 20000)).value());
});

test.run();
