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

test.run();
