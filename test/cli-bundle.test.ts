// `npx wharf` runs dist/wharf.mjs on Node: the bundle must behave like cli/main.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { repo, wharf } from "./support/cli.ts";
import { fixturePath } from "./support/fixtures.ts";

const decoder = new TextDecoder();

test("node dist/wharf.mjs digest equals the source CLI's output", async () => {
  const rt = await getRuntime();
  const file = fixturePath("docker-save/multi.tar");
  const bundled = await rt.processes!.run("node", [`${repo}/dist/wharf.mjs`, "digest", "--format", "json", file]);
  assert.is(bundled.code, 0, decoder.decode(bundled.stderr));
  const source = await wharf(["digest", "--format", "json", file]);
  assert.is(decoder.decode(bundled.stdout), source.stdout);
});

test("npx wharf resolves the package's own bin", async () => {
  const rt = await getRuntime();
  const r = await rt.processes!.run("npx", ["--no-install", "wharf", "version", "--format", "json"], { cwd: repo });
  assert.is(r.code, 0, decoder.decode(r.stderr));
  assert.is(JSON.parse(decoder.decode(r.stdout)).Runtime, "node");
});

test("dist/wharf-worker.mjs checks CRC-64 ranges as the engine computes them", async () => {
  const rt = await getRuntime();
  const { TarEngine } = await import("../src/tar/engine.ts");
  const engine = await TarEngine.create();
  const bytes = new TextEncoder().encode("the quick brown fox jumps over the lazy dog\n".repeat(100));
  engine.window.set(bytes, 0);
  const crc = engine.crcWindow(0n, 0, bytes.length);
  const expected = [...Array(8)].map((_, i) => Number((crc >> BigInt(56 - 8 * i)) & 0xffn));
  // One job that passes, one whose expected CRC is off by one bit.
  const script = `
    import { Worker } from "node:worker_threads";
    const w = new Worker(new URL(${JSON.stringify(`file://${repo}/dist/wharf-worker.mjs`)}), { execArgv: [] });
    const bytes = new TextEncoder().encode("the quick brown fox jumps over the lazy dog\\n".repeat(100));
    const replies = [];
    w.on("message", (m) => { replies.push(m.failed); if (replies.length === 2) { console.log(JSON.stringify(replies)); w.terminate(); } });
    for (const flip of [0, 1]) {
      const expected = new Uint8Array(${JSON.stringify(expected)}); expected[7] ^= flip;
      const buf = bytes.slice().buffer;
      w.postMessage({ kind: "crc", stream: 1 + flip, buf, ranges: Int32Array.of(0, bytes.length, 3), expected }, [buf]);
    }`;
  const r = await rt.processes!.run("node", ["--input-type=module", "-e", script]);
  assert.is(r.code, 0, decoder.decode(r.stderr));
  assert.equal(JSON.parse(decoder.decode(r.stdout)), [-1, 0]);
});

test.run();
