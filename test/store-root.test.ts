import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { readAll } from "../src/io/bytes.ts";
import { digestOf } from "../src/hash/digest.ts";
import { isWharfError } from "../src/errors.ts";
import { defaultRoot, openStore, type Store } from "../src/store/root.ts";
import { parseNormalizedNamed } from "../src/reference/reference.ts";
import type { FilesPort } from "../src/ports.ts";
import { bigLayerTar, dumpRoot, fixtureLines, linesUnder, readSavedImage } from "./support/layers.ts";
import { repo } from "./support/cli.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const image = await readSavedImage();
const decoder = new TextDecoder();
const IMAGE_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const DRIVERS = ["overlay2", "vfs"] as const;

let tmp = "";
/** The data-root: not created beforehand, so openStore creates it with Docker's mode. */
let root = "";
const open: Store[] = [];
test.before.each(async () => {
  tmp = await files.makeTempDir("wharf-store-");
  root = `${tmp}/root`;
});
test.after.each(async () => {
  for (const store of open.splice(0)) await store.close();
  await files.remove(tmp, { recursive: true });
});

async function openRoot(driver: string): Promise<Store> {
  const store = await openStore({ root, driver, runtime: rt });
  open.push(store);
  return store;
}

async function closeRoot(store: Store): Promise<void> {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

/** What `load` does with the stores: register the chain, create the image, tag it. */
async function loadMulti(store: Store): Promise<void> {
  const { top } = await store.layers.registerChain(image.layers.map((l) => ({ diffID: l.diffID, open: async () => l.tar })));
  const id = await store.images.create(image.rawConfig);
  await store.references.addTag(parseNormalizedNamed("wharf-test/multi:1"), id, false);
  await store.layers.release(top!);
}

/** Runs test/support/store-child.ts on the runtime this test runs on. */
async function child(args: string[]): Promise<{ code: number; stdout: string }> {
  const script = `${repo}/test/support/store-child.ts`;
  const [cmd, prefix] = childCommand(script);
  const r = await rt.processes!.run(cmd, [...prefix, ...args], { cwd: repo });
  return { code: r.code, stdout: decoder.decode(r.stdout).trim() + decoder.decode(r.stderr).trim() };
}

function childCommand(script: string): [string, string[]] {
  if (rt.name === "deno") return [`${repo}/node_modules/.bin/deno`, ["run", "-A", script]];
  if (rt.name === "bun") return [`${repo}/node_modules/.bin/bun`, [script]];
  return [`${repo}/node_modules/.bin/tsx`, [script]];
}

test("overlay2: the data-root after loading multi.tar lists as Docker's, line for line", async () => {
  const store = await openRoot("overlay2");
  await loadMulti(store);
  assert.equal(await dumpRoot(root, "overlay2"), await fixtureLines("multi.overlay2-root.txt", ""));
  assert.is((await files.lstat(root))?.mode, 0o711);
  assert.is((await files.lstat(`${root}/image`))?.mode, 0o700);
  assert.is((await files.lstat(`${root}/image/overlay2`))?.mode, 0o700);
});

test("vfs: the image/vfs part of the data-root lists as Docker's", async () => {
  const store = await openRoot("vfs");
  await loadMulti(store);
  const got = linesUnder(await dumpRoot(root, "vfs"), "image/vfs");
  assert.equal(got, await fixtureLines("multi.vfs-root.txt", "image/vfs"));
});

for (const driver of DRIVERS) {
  test(`${driver}: tarStream() of every layer is the original tar`, async () => {
    const store = await openRoot(driver);
    await loadMulti(store);
    for (const l of image.layers) {
      const layer = store.layers.list().find((x) => x.diffID === l.diffID)!;
      const bytes = await readAll(layer.tarStream());
      assert.is(digestOf(rt.digests, bytes), l.diffID);
    }
  });

  test(`${driver}: a layer that does not match its diffID leaves nothing behind`, async () => {
    const store = await openRoot(driver);
    const bad = image.layers.map((l, i) => ({ diffID: l.diffID, open: async () => (i === 1 ? image.layers[2]!.tar : l.tar) }));
    const e = await store.layers.registerChain(bad).catch((x: unknown) => x);
    assert.ok(isWharfError(e, "DIGEST_MISMATCH"), String(e));
    assert.is((e as Error).message, `invalid diffID for layer 1: expected "${image.layers[1]!.diffID}", got "${image.layers[2]!.diffID}"`);
    assert.equal(store.layers.list(), []);
    assert.equal(await files.readdir(`${root}/image/${driver}/layerdb/sha256`), []);
    assert.equal(await files.readdir(`${root}/image/${driver}/layerdb/tmp`), []);
    assert.equal(await driverDirs(driver), []);
  });

  test(`${driver}: a new process sees the same store; rmi of the last image removes all`, async () => {
    const store = await openRoot(driver);
    await loadMulti(store);
    const layers = store.layers.list().map((l) => l.chainID).sort();
    await closeRoot(store);
    const r = await child(["list", root, driver]);
    assert.is(r.code, 0, r.stdout);
    assert.equal(JSON.parse(r.stdout), { layers, images: [IMAGE_ID], warnings: [] });
    const again = await openRoot(driver);
    assert.is((await again.images.delete(again.images.search("0cc5"))).length, 4);
    assert.equal(await driverDirs(driver), []);
  });

  test(`${driver}: SIGKILL mid-registration leaves a consistent store`, async () => {
    const marker = `${tmp}/marker`;
    const size = 50 * 1024 * 1024;
    const [cmd, prefix] = childCommand(`${repo}/test/support/store-child.ts`);
    const quoted = [cmd, ...prefix, "register-slow", root, driver, marker, String(size)].map((a) => `'${a}'`).join(" ");
    // setsid gives the child its own process group, so the kill reaches the runtime process
    // under a wrapper (tsx) too.
    const script = `setsid ${quoted} & pid=$!; while [ ! -e '${marker}' ]; do kill -0 $pid || exit 3; sleep 0.05; done; kill -9 -$pid; wait $pid; echo "status $?"`;
    const r = await rt.processes!.run("sh", ["-c", script], { cwd: repo });
    assert.is(decoder.decode(r.stdout).trim(), "status 137", decoder.decode(r.stderr));
    // The killed process left its staged layer, driver directory and lock behind.
    assert.is((await files.readdir(`${root}/image/${driver}/layerdb/tmp`)).length, 1);
    assert.is((await driverDirs(driver)).length, 1);
    const store = await openRoot(driver);
    assert.equal(store.layers.list(), []);
    assert.equal(await files.readdir(`${root}/image/${driver}/layerdb/tmp`), []);
    assert.equal(await files.readdir(`${root}/image/${driver}/layerdb/sha256`), []);
    assert.equal(await driverDirs(driver), []);
    const layer = await store.layers.register(bigLayerTar(size), undefined);
    assert.is(layer.size, size);
    assert.is((await driverDirs(driver)).length, 1);
  });
}

test("the lock: a second process waits for the first, then fails naming it", async () => {
  const store = await openRoot("vfs");
  const pid = await files.readlink("/proc/self");
  const refused = await child(["open", root, "vfs", "300"]);
  assert.is(refused.code, 1);
  assert.is(refused.stdout, `root ${root} is locked by process ${pid}`);
  const waiting = child(["open", root, "vfs", "20000"]);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await closeRoot(store);
  const opened = await waiting;
  assert.is(opened.stdout, "opened");
  assert.is(opened.code, 0);
  assert.not.ok(await files.lstat(`${root}/wharf.lock`));
});

test("the lock: one left empty or torn by a crash (it is never fsynced) is stale and taken over", async () => {
  for (const left of ["", "4242", "garbage\n"]) {
    await files.mkdir(root, { recursive: true });
    await files.writeFile(`${root}/wharf.lock`, new TextEncoder().encode(left));
    const store = await openRoot("vfs");
    const pid = await files.readlink("/proc/self");
    assert.match(decoder.decode(await files.readFile(`${root}/wharf.lock`)), new RegExp(`^${pid} [0-9]+$`), JSON.stringify(left));
    await closeRoot(store);
    assert.not.ok(await files.lstat(`${root}/wharf.lock`));
  }
});

test("defaultRoot: WHARF_ROOT, else the per-user data dir (root included)", () => {
  const env = (vars: Record<string, string>, uid: number) => ({ get: (n: string) => vars[n], uid: () => uid });
  assert.is(defaultRoot(env({ WHARF_ROOT: "/x", HOME: "/home/u" }, 0)), "/x");
  assert.is(defaultRoot(env({ HOME: "/root" }, 0)), "/root/.local/share/wharf");
  assert.is(defaultRoot(env({ HOME: "/home/u", XDG_DATA_HOME: "/d" }, 1000)), "/d/wharf");
  assert.is(defaultRoot(env({ HOME: "/home/u" }, 1000)), "/home/u/.local/share/wharf");
  assert.throws(() => defaultRoot(env({}, 1000)), (e: unknown) => isWharfError(e, "USAGE"));
});

/** Layer directories the driver holds (overlay2's `l/` is not one). */
async function driverDirs(driver: string): Promise<string[]> {
  const home = driver === "vfs" ? `${root}/vfs/dir` : `${root}/overlay2`;
  if (!(await files.lstat(home))) return [];
  return (await files.readdir(home)).filter((n) => n !== "l");
}

test.run();
