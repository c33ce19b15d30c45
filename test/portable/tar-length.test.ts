import { test } from "uvu";
import * as assert from "uvu/assert";
import { DecodedTarSplits } from "../../src/layer/tar-length.ts";
import { chunksReadable } from "../../src/io/bytes.ts";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
/** A length function that sums what it is given, or fails at the end. */
const sum = (fail?: Error) => async (chunks: AsyncIterable<Uint8Array>) => {
  let n = 0;
  for await (const c of chunks) n += c.length;
  if (fail) throw fail;
  return n;
};
const total = (chunks: Uint8Array[] | undefined) => chunks?.reduce((n, c) => n + c.length, 0);

test("a measured layer's decoded chunks are taken once, whole and in order", async () => {
  const cache = new DecodedTarSplits(1000);
  const parts = [bytes(100, 1), bytes(200, 2), bytes(50, 3)];
  assert.is(await cache.measure("a", chunksReadable(parts), sum()), 350);
  const taken = await cache.take("a");
  assert.equal(taken, parts);
  assert.is(await cache.take("a"), undefined);
});

test("take waits for a pass still running", async () => {
  const cache = new DecodedTarSplits(1000);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = async (chunks: AsyncIterable<Uint8Array>) => {
    await gate;
    return sum()(chunks);
  };
  const length = cache.measure("a", chunksReadable([bytes(10, 1)]), slow);
  const taken = cache.take("a");
  release();
  assert.is(await length, 10);
  assert.is(total(await taken), 10);
});

test("what does not fit the budget is not kept; the oldest goes first; a failed pass keeps nothing", async () => {
  const cache = new DecodedTarSplits(300);
  assert.is(await cache.measure("big", chunksReadable([bytes(200, 1), bytes(200, 2)]), sum()), 400);
  assert.is(await cache.take("big"), undefined);
  await cache.measure("a", chunksReadable([bytes(200, 1)]), sum());
  await cache.measure("b", chunksReadable([bytes(200, 2)]), sum());
  await new Promise((r) => setTimeout(r, 0));
  assert.is(await cache.take("a"), undefined, "the oldest entry was dropped for the newer one");
  assert.is(total(await cache.take("b")), 200);
  const broken = new Error("corrupt");
  const failed = await cache.measure("c", chunksReadable([bytes(10, 1)]), sum(broken)).catch((e: unknown) => e);
  assert.is(failed, broken);
  assert.is(await cache.take("c"), undefined);
  await cache.measure("d", chunksReadable([bytes(10, 1)]), sum());
  cache.drop("d");
  assert.is(await cache.take("d"), undefined);
});

test.run();
