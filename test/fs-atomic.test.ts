import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { writeFileAtomic } from "../src/fs/atomic.ts";
import type { FilesPort } from "../src/ports.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const enc = new TextEncoder();
const dec = new TextDecoder();

let dir = "";
test.before(async () => {
  dir = await files.makeTempDir("wharf-atomic-");
});
test.after(async () => {
  await files.remove(dir, { recursive: true });
});

const text = async (path: string) => dec.decode(await files.readFile(path));

test("creates a file with exactly the requested mode", async () => {
  await writeFileAtomic(files, `${dir}/repositories.json`, enc.encode("{}"), { mode: 0o600 });
  assert.is(await text(`${dir}/repositories.json`), "{}");
  assert.is((await files.lstat(`${dir}/repositories.json`))?.mode, 0o600);
  // 0666 survives a umask of 022: the mode is set, not masked.
  await writeFileAtomic(files, `${dir}/open`, enc.encode("x"), { mode: 0o666 });
  assert.is((await files.lstat(`${dir}/open`))?.mode, 0o666);
  await writeFileAtomic(files, `${dir}/default`, enc.encode("x"));
  assert.is((await files.lstat(`${dir}/default`))?.mode, 0o644);
  assert.equal((await files.readdir(dir)).sort(), ["default", "open", "repositories.json"]);
});

test("replaces content and mode; a reader mid-write sees the old content", async () => {
  const path = `${dir}/replace`;
  await writeFileAtomic(files, path, enc.encode("old"), { mode: 0o600 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let firstChunkWritten!: () => void;
  const started = new Promise<void>((r) => (firstChunkWritten = r));
  const slow = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(enc.encode("new "));
      firstChunkWritten();
      await gate;
      controller.enqueue(enc.encode("content"));
      controller.close();
    },
  });
  const writing = writeFileAtomic(files, path, slow, { mode: 0o644 });
  await started;
  assert.is(await text(path), "old");
  release();
  await writing;
  assert.is(await text(path), "new content");
  assert.is((await files.lstat(path))?.mode, 0o644);
  assert.equal((await files.readdir(dir)).filter((n) => n.includes("replace")), ["replace"]);
});

test("a failing source leaves the old content and no temp file", async () => {
  const path = `${dir}/failing`;
  await writeFileAtomic(files, path, enc.encode("keep me"));
  const before = (await files.readdir(dir)).sort();
  const broken = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(enc.encode("partial"));
      controller.error(new Error("source broke"));
    },
  });
  try {
    await writeFileAtomic(files, path, broken);
    assert.unreachable("write from a broken stream succeeded");
  } catch (e) {
    assert.is((e as Error).message, "source broke");
  }
  assert.is(await text(path), "keep me");
  assert.equal((await files.readdir(dir)).sort(), before);
});

test("a failing rename (target is a non-empty dir) cleans up the temp file", async () => {
  await files.mkdir(`${dir}/occupied/child`, { recursive: true });
  const before = (await files.readdir(dir)).sort();
  try {
    await writeFileAtomic(files, `${dir}/occupied`, enc.encode("x"));
    assert.unreachable("rename over a non-empty directory succeeded");
  } catch (e) {
    assert.is((e as { code?: string }).code, "IO");
  }
  assert.equal((await files.readdir(dir)).sort(), before);
  assert.equal(await files.readdir(`${dir}/occupied`), ["child"]);
});

test("a missing directory rejects with ENOENT and writes nothing", async () => {
  try {
    await writeFileAtomic(files, `${dir}/no/such/dir/file`, enc.encode("x"));
    assert.unreachable("write into a missing directory succeeded");
  } catch (e) {
    assert.is((e as { errno?: string }).errno, "ENOENT");
  }
});

test.run();
