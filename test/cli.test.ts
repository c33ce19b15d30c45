import { test } from "uvu";
import * as assert from "uvu/assert";
import { wharf, tool } from "./support/cli.ts";
import { fixturePath } from "./support/fixtures.ts";

const decoder = new TextDecoder();
const busybox = fixturePath("docker-save/busybox.tar");
const multi = fixturePath("docker-save/multi.tar");

async function sha256sum(path: string): Promise<string> {
  return "sha256:" + decoder.decode(await tool("sha256sum", [path])).split(" ")[0];
}

async function readBytes(path: string): Promise<Uint8Array> {
  return tool("cat", [path]);
}

test("digest of a plain tar is its sha256, as sha256sum computes it", async () => {
  const r = await wharf(["digest", "--format", "json", busybox]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.DiffID, await sha256sum(busybox));
  assert.is(out.Compression, "none");
  assert.is(out.Digest, undefined);
});

for (const [codec, args] of [["gzip", ["-c", "-6"]], ["zstd", ["-c", "-q"]]] as const) {
  test(`digest of a ${codec} tar from stdin: diffID of the content, digest of the blob`, async () => {
    const compressed = await tool(codec, [...args, multi]);
    const r = await wharf(["digest", "--format", "json", "-"], compressed);
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.is(out.Compression, codec);
    assert.is(out.DiffID, await sha256sum(multi));
    const blob = decoder.decode(await tool("sha256sum", ["-"], compressed)).split(" ")[0];
    assert.is(out.Digest, `sha256:${blob}`);
    assert.is(out.CompressedSize, compressed.length);
  });
}

test("tar ls --format json lists what GNU tar lists, in order", async () => {
  const r = await wharf(["tar", "ls", "--format", "json", multi]);
  assert.is(r.code, 0, r.stderr);
  const names = r.stdout.trim().split("\n").map((l) => JSON.parse(l).name);
  const gnu = decoder.decode(await tool("tar", ["-tf", multi])).trim().split("\n");
  assert.equal(names, gnu);
  const first = JSON.parse(r.stdout.split("\n")[0]!);
  assert.is(first.type, "dir");
  assert.is(first.mode, "0755");
});

test("tar ls table has a header and one row per entry", async () => {
  const r = await wharf(["tar", "ls", busybox]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0]!, /^MODE\s+OWNER\s+SIZE\s+MODIFIED\s+NAME$/);
  assert.is(lines.length - 1, decoder.decode(await tool("tar", ["-tf", busybox])).trim().split("\n").length);
});

test("a missing file is one line on stderr and exit 1", async () => {
  const r = await wharf(["digest", "/nonexistent/layer.tar"]);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /\/nonexistent\/layer\.tar/);
});

test("a truncated tar is an error, not a digest", async () => {
  const bytes = (await readBytes(busybox)).subarray(0, 3000);
  const r = await wharf(["digest", "-"], bytes);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^wharf: tar: .*truncated/);
  assert.is(r.stdout, "");
});

test("corrupt gzip is a one-line COMPRESSION error", async () => {
  const gz = await tool("gzip", ["-c", busybox]);
  gz.fill(0x55, 100, 400);
  const r = await wharf(["tar", "ls", "-"], gz);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /gzip/);
});

test("bad usage exits 2 and points at help", async () => {
  const bad = await wharf(["tar", "ls", "--format", "xml", busybox]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /unknown --format "xml"/);
  const extra = await wharf(["tar", "ls", busybox, "extra"]);
  assert.is(extra.code, 2);
  assert.is(extra.stderr, `wharf: "tar ls" accepts at most 1 argument\nSee 'wharf tar ls --help'.\n`);
  const none = await wharf(["version", "extra"]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /^wharf: "version" accepts no arguments\n/);
  const unknown = await wharf(["frobnicate"]);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /frobnicate/);
});

test("--help, version and completions", async () => {
  const help = await wharf(["--help"]);
  assert.is(help.code, 0);
  for (const cmd of ["version", "tar", "digest", "complete"]) assert.match(help.stdout, cmd);
  assert.not.match(help.stdout, /\x1b\[/, "no colour codes when stdout is not a terminal");
  const version = await wharf(["version", "--format", "json"]);
  assert.is(version.code, 0, version.stderr);
  const pkg = JSON.parse(decoder.decode(await readBytes(new URL("../package.json", import.meta.url).pathname)));
  assert.is(JSON.parse(version.stdout).Version, pkg.version);
  const bash = await wharf(["complete", "bash"]);
  assert.is(bash.code, 0);
  assert.match(bash.stdout, /complete -F|compdef|_wharf/);
});

test.run();
