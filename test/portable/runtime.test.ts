// The runtime adapter chosen for wherever this runs (Node, Deno, Bun or Chromium) works through
// the same ports: digests, codecs, clock and randomness. In Chromium this exercises browser.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../../src/runtime/index.ts";
import { gunzipStream, gzipEncode } from "../../src/compress/index.ts";
import { readAll } from "../../src/io/bytes.ts";
import { isBrowser } from "../support/fixtures.ts";

const text = (s: string) => new TextEncoder().encode(s);

test("the adapter matches the runtime and has the abilities it should", async () => {
  const rt = await getRuntime();
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const expected = isBrowser() ? "browser" : g.Deno ? "deno" : g.Bun ? "bun" : "node";
  assert.is(rt.name, expected);
  if (rt.name === "browser") {
    assert.is(rt.files, undefined);
    assert.is(rt.mounts, undefined);
    assert.is(rt.processes, undefined);
    assert.is(rt.digests.kind, "wasm");
  } else {
    assert.ok(rt.files && rt.mounts && rt.processes && rt.stdio && rt.env);
    assert.is(rt.digests.kind, "native");
  }
});

test("sha256 through the runtime's digester (FIPS 180-2 vectors)", async () => {
  const { digests } = await getRuntime();
  const d = digests.sha256();
  d.update(text("ab"));
  d.update(text("c"));
  assert.is(d.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.is(digests.sha256().hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("multi-member gzip decodes fully through the runtime's codecs", async () => {
  const { compression } = await getRuntime();
  const member = async (s: string) => readAll(new Blob([text(s)]).stream().pipeThrough(gzipEncode()));
  const both = new Blob([await member("first member, "), await member("second member")]);
  const out = await readAll(both.stream().pipeThrough(gunzipStream(compression)));
  assert.is(new TextDecoder().decode(out), "first member, second member");
});

test("clock and randomness", async () => {
  const { clock, random } = await getRuntime();
  const { seconds, nanos } = clock.now();
  assert.ok(Math.abs(seconds * 1000 - Date.now()) < 5000);
  assert.ok(nanos >= 0 && nanos < 1e9);
  const a = random.bytes(100_000);
  assert.is(a.length, 100_000);
  assert.not.equal(a, random.bytes(100_000));
});

test.run();
