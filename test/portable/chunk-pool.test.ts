// ChunkPool: buffers handed out come back only when released by their owner, and only its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ChunkPool } from "../../src/io/chunk-pool.ts";

test("a released buffer is handed out again; a foreign or doubly released one is not taken", () => {
  const pool = new ChunkPool(64, 2);
  const a = pool.get();
  assert.is(a.length, 64);
  pool.release(a.subarray(0, 10)); // a view of it releases the buffer
  pool.release(a); // twice: no second copy in the free list
  const b = pool.get();
  assert.is(b.buffer, a.buffer);
  assert.is.not(pool.get().buffer, a.buffer, "released once, reused once");
  const foreign = new Uint8Array(64); // never handed out
  pool.release(foreign);
  assert.is.not(pool.get().buffer, foreign.buffer);
});

test("a buffer back from a transfer is adopted; the free list keeps at most `keep`", () => {
  const pool = new ChunkPool(64, 1);
  const sent = pool.get();
  const back = structuredClone(sent.buffer, { transfer: [sent.buffer] }); // as a worker round trip does
  pool.release(new Uint8Array(back));
  assert.is.not(pool.get().buffer, back, "not adopted: not taken back");
  pool.adopt(back);
  pool.release(new Uint8Array(back));
  assert.is(pool.get().buffer, back);
  const [x, y] = [pool.get(), pool.get()];
  pool.release(x);
  pool.release(y);
  assert.is(pool.get().buffer, x.buffer);
  assert.is.not(pool.get().buffer, y.buffer, "beyond `keep`: left to the collector");
});

test.run();
