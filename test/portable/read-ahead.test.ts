// ReadAheadSequence (a saved archive's layer tars): the next stream fills its buffer while the
// current one is read, never past its limit, and streams started but not taken are cancelled.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ReadAheadSequence } from "../../src/io/read-ahead.ts";
import { readAll } from "../../src/io/bytes.ts";

const CHUNK = 1000;

/** A stream of `chunks` chunks of CHUNK bytes (all `fill`), counting pulls and noting a cancel. */
function counted(chunks: number, fill: number) {
  const seen = { pulls: 0, cancelled: false, opened: false };
  const open = () => {
    seen.opened = true;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (seen.pulls === chunks) return controller.close();
        seen.pulls++;
        controller.enqueue(new Uint8Array(CHUNK).fill(fill));
      },
      cancel() {
        seen.cancelled = true;
      },
    }, { highWaterMark: 0 });
  };
  return { seen, open };
}

const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 0));
};

test("opening a stream starts the next one, which fills up to its limit and no further", async () => {
  const a = counted(3, 1), b = counted(20, 2), c = counted(2, 3);
  const seq = new ReadAheadSequence([a.open, b.open, c.open], 5 * CHUNK);
  await settle();
  assert.not.ok(a.seen.opened || b.seen.opened || c.seen.opened, "nothing starts before the first is opened");
  const first = seq.open(0);
  await settle();
  assert.ok(b.seen.opened, "the next stream starts");
  assert.not.ok(c.seen.opened, "only the next one");
  // Up to the limit buffered (plus the chunks in the pipe between source and buffer), not all 20.
  assert.ok(b.seen.pulls >= 5 && b.seen.pulls <= 7, `read ahead ${b.seen.pulls} chunks`);
  const bytes = await readAll(first);
  assert.is(bytes.length, 3 * CHUNK);
  assert.ok(bytes.every((x) => x === 1));
  const second = await readAll(seq.open(1));
  assert.is(second.length, 20 * CHUNK);
  assert.ok(second.every((x) => x === 2), "the read-ahead bytes come out whole and in order");
  assert.is((await readAll(seq.open(2))).length, 2 * CHUNK);
  assert.not.ok(b.seen.cancelled);
});

test("cancel stops the streams started but not taken, and leaves the rest unopened", async () => {
  const a = counted(10, 1), b = counted(10, 2), c = counted(10, 3);
  const seq = new ReadAheadSequence([a.open, b.open, c.open], 4 * CHUNK);
  const reader = seq.open(0).getReader();
  await reader.read();
  await settle();
  await seq.cancel(new Error("stopped"));
  await settle();
  assert.ok(b.seen.cancelled, "the stream read ahead is cancelled");
  assert.not.ok(a.seen.cancelled, "the stream being read is its reader's to cancel");
  assert.not.ok(c.seen.opened);
  await reader.cancel();
  await settle();
  assert.ok(a.seen.cancelled);
});

test.run();
