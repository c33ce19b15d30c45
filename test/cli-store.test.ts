// The data-root acceptance, through the command line a user runs: load, images, history,
// inspect, tag, rmi, save, system df, info — each invocation its own process.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { wharf, tool } from "./support/cli.ts";
import { fixturePath, readFixture } from "./support/fixtures.ts";
import { dumpRoot, firstFileBodyOffset, readMembers, writeMembers } from "./support/tarexport-archive.ts";
import { TarBuilder } from "./support/tar-builder.ts";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";
import { readAll } from "../src/io/bytes.ts";

const rt = await getRuntime();
const files = rt.files!;
const decoder = new TextDecoder();
const multi = fixturePath("docker-save/multi.tar");
const busybox = fixturePath("docker-save/busybox.tar");
const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";

const tmp = await files.makeTempDir("wharf-cli-store-");
let counter = 0;
const freshRoot = () => `${tmp}/root${counter++}`;

async function expectedListing(name: string): Promise<string> {
  return decoder.decode(await readFixture(`docker-save/${name}`));
}

for (const driver of ["overlay2", "vfs"] as const) {
  test(`${driver}: load multi.tar, and the data-root lists as Docker's`, async () => {
    const root = freshRoot();
    const r = await wharf(["--root", root, "--driver", driver, "load", "-i", multi]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, "Loaded image: wharf-test/multi:1\n");
    assert.fixture(await dumpRoot(rt, root, driver), await expectedListing(`multi.${driver}-root.txt`));
  });
}

test("load draws a progress bar only when stdout is a terminal", async () => {
  const root = freshRoot();
  const line = [...(await commandLine()), "--root", root, "load", "-i", multi].map((a) => `'${a}'`).join(" ");
  // script(1) runs the command on a pseudo-terminal.
  const r = await rt.processes!.run("script", ["-qec", line, "/dev/null"]);
  const out = decoder.decode(r.stdout);
  assert.is(r.code, 0, out);
  assert.match(out, /\rLoading layers \[=+>\] 2\.01MB\/2\.01MB/);
  assert.match(out, /Loaded image: wharf-test\/multi:1\r?\n$/);
});

test("save after load gives back Docker's archives byte for byte; the OCI form loads to the same ID", async () => {
  const root = freshRoot();
  for (const archive of [busybox, multi]) assert.is((await wharf(["--root", root, "load", "-i", archive])).code, 0);
  for (const [archive, image] of [[busybox, "wharf-test/busybox:base"], [multi, "wharf-test/multi:1"]] as const) {
    const out = `${tmp}/saved-${counter++}.tar`;
    const r = await wharf(["--root", root, "save", "-o", out, image]);
    assert.is(r.code, 0, r.stderr);
    assert.ok(equalBytes(await files.readFile(out), await files.readFile(archive)), `${image}: saved archive differs from ${archive}`);
  }
  const oci = `${tmp}/oci-${counter++}.tar`;
  assert.is((await wharf(["--root", root, "save", "--format", "oci", "-o", oci, "wharf-test/multi:1"])).code, 0);
  const other = freshRoot();
  const loaded = await wharf(["--root", other, "--driver", "vfs", "load", "-i", oci]);
  assert.is(loaded.code, 0, loaded.stderr);
  const inspect = JSON.parse((await wharf(["--root", other, "image", "inspect", "wharf-test/multi:1"])).stdout);
  assert.is(inspect[0].Id, MULTI_ID);
});

test("a layer that does not match its diffID: Docker's error, exit 1, nothing of it kept", async () => {
  const root = freshRoot();
  assert.is((await wharf(["--root", root, "load", "-i", busybox])).code, 0);
  const before = await dumpRoot(rt, root, "overlay2");
  const members = await readMembers(await files.readFile(multi));
  // manifest.json lists the layers in rootfs order; the last one (index 3) is corrupted.
  const manifest = JSON.parse(decoder.decode(members.find((m) => m.header.name === "manifest.json")!.body));
  const target = members.find((m) => m.header.name === manifest[0].Layers[3])!;
  const at = await firstFileBodyOffset(target.body);
  target.body = target.body.slice();
  target.body[at] = target.body[at]! ^ 0xff;
  const broken = `${tmp}/broken-${counter++}.tar`;
  await files.writeFile(broken, await writeMembers(members));
  const r = await wharf(["--root", root, "load", "-i", broken]);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^wharf: invalid diffID for layer 3: expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}"\n$/);
  // overlay2 marks a parent `committed` when a child is created on it, and keeps the mark when
  // the child goes (as Docker does); everything else is as before the load.
  const withoutCommitted = (listing: string) => listing.split("\n").filter((l) => !l.endsWith("/committed = ''")).join("\n");
  assert.fixture(withoutCommitted(await dumpRoot(rt, root, "overlay2")), withoutCommitted(before));
});

test("save of a damaged layer, in either form: one line naming what is wrong, exit 1, no archive left", async () => {
  const root = freshRoot();
  assert.is((await wharf(["--root", root, "--driver", "vfs", "load", "-i", multi])).code, 0);
  const layerdb = `${root}/image/vfs/layerdb/sha256`;
  const chains = await files.readdir(layerdb);
  const parents = new Set(await Promise.all(chains.filter((c) => c !== "mounts").map(async (c) => decoder.decode(await files.readFile(`${layerdb}/${c}/parent`).catch(() => new Uint8Array())))));
  const top = chains.find((c) => c !== "mounts" && !parents.has(`sha256:${c}`))!;
  const tarSplit = `${layerdb}/${top}/tar-split.json.gz`;
  const original = await files.readFile(tarSplit);
  // The top layer's tar-split cut short: its length cannot be known (legacy: found mid-stream, after earlier layers).
  await files.writeFile(tarSplit, original.subarray(0, original.length >> 1));
  for (const format of ["legacy", "oci"]) {
    const dir = `${tmp}/damaged-${counter++}`;
    await files.mkdir(dir);
    const r = await wharf(["--root", root, "save", "--format", format, "-o", `${dir}/out.tar`, "wharf-test/multi:1"]);
    assert.is(r.code, 1, `${format}: ${r.stderr}`);
    assert.is(r.stderr.trim().split("\n").length, 1, `${format}: ${r.stderr}`);
    assert.match(r.stderr, `wharf: layer sha256:${top}: tar-split.json.gz: corrupt or truncated gzip stream`, format);
    assert.equal(await files.readdir(dir), [], `${format}: left ${await files.readdir(dir)}`);
  }
  await files.writeFile(tarSplit, original);
  assert.is((await wharf(["--root", root, "save", "-o", `${tmp}/repaired-${counter++}.tar`, "wharf-test/multi:1"])).code, 0);
});

test("images, history, tag, rmi: shared layers survive one image and go with the last", async () => {
  const root = freshRoot();
  for (const archive of [busybox, multi]) assert.is((await wharf(["--root", root, "load", "-i", archive])).code, 0);
  const images = await wharf(["--root", root, "images"]);
  assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(images.stdout, /wharf-test\/multi\s+1\s+0cc52890bed9\s/);
  assert.is(images.stdout.trim().split("\n").length, 3);
  const history = await wharf(["--root", root, "history", "wharf-test/multi:1"]);
  assert.is(history.stdout.trim().split("\n").length, 8, history.stdout); // header + 7 history entries
  assert.match(history.stdout.split("\n")[1]!, /^0cc52890bed9 /);
  assert.is((await wharf(["--root", root, "tag", "wharf-test/multi:1", "copy:latest"])).code, 0);
  const untag = await wharf(["--root", root, "rmi", "copy"]);
  assert.is(untag.stdout, "Untagged: copy:latest\n");
  const rmMulti = await wharf(["--root", root, "rmi", "wharf-test/multi:1"]);
  assert.is(rmMulti.code, 0, rmMulti.stderr);
  const deleted = rmMulti.stdout.trim().split("\n").filter((l) => l.startsWith("Deleted: "));
  assert.is(deleted.length, 1 + 3, rmMulti.stdout); // the image and its three own layers; busybox's base layer stays
  const layerdb = `${root}/image/overlay2/layerdb/sha256`;
  assert.is((await files.readdir(layerdb)).length, 1);
  const rmBusybox = await wharf(["--root", root, "rmi", "wharf-test/busybox:base"]);
  assert.is(rmBusybox.code, 0, rmBusybox.stderr);
  assert.equal(await files.readdir(layerdb), []);
  assert.equal((await files.readdir(`${root}/overlay2`)).filter((n) => n !== "l"), []);
  const df = await wharf(["--root", root, "system", "df"]);
  assert.match(df.stdout, /Images\s+0\s+0\s+0B\s+0B/);
});

test("SIGKILL mid-load, then start again: the store is consistent and the load completes", async () => {
  const root = freshRoot();
  const archive = `${tmp}/big-${counter++}.tar`;
  await files.writeFile(archive, await bigArchive(8 << 20, 4000));
  const marker = `${root}/image/overlay2/layerdb/tmp`;
  const [cmd, ...prefix] = await commandLine();
  const quoted = [cmd, ...prefix, "--root", root, "load", "-q", "-i", archive].map((a) => `'${a}'`).join(" ");
  // setsid: the kill reaches the runtime under any wrapper; killed once a layer is being registered.
  const script = `setsid ${quoted} & pid=$!; while [ -z "$(ls -A '${marker}' 2>/dev/null)" ]; do kill -0 $pid 2>/dev/null || { wait $pid; echo "finished before the kill, status $?"; exit 3; }; sleep 0.02; done; kill -9 -$pid; wait $pid; echo "status $?"`;
  const killed = await rt.processes!.run("sh", ["-c", script]);
  assert.is(decoder.decode(killed.stdout).trim(), "status 137", decoder.decode(killed.stderr));
  const images = await wharf(["--root", root, "images", "-q"]);
  assert.is(images.code, 0, images.stderr);
  assert.is(images.stdout, "");
  const again = await wharf(["--root", root, "load", "-i", archive]);
  assert.is(again.code, 0, again.stderr);
  const clean = freshRoot();
  assert.is((await wharf(["--root", clean, "load", "-i", archive])).code, 0);
  assert.fixture(await dumpRoot(rt, root, "overlay2"), await dumpRoot(rt, clean, "overlay2"));
});

test("bad input: one line each, exit 1, store unchanged", async () => {
  const root = freshRoot();
  assert.is((await wharf(["--root", root, "load", "-i", busybox])).code, 0);
  const before = await dumpRoot(rt, root, "overlay2");
  const members = await readMembers(await files.readFile(multi));
  const withoutManifest = await writeMembers(members.filter((m) => m.header.name !== "manifest.json"));
  const truncated = (await files.readFile(multi)).subarray(0, 600_000);
  const corruptGzip = await tool("gzip", ["-c", multi]);
  corruptGzip.fill(0x41, 5000, 6000);
  for (const [label, bytes, pattern] of [
    ["no manifest", withoutManifest, /manifest\.json/],
    ["truncated", truncated, /truncated/],
    ["corrupt gzip", corruptGzip, /gzip/],
  ] as const) {
    const path = `${tmp}/bad-${counter++}.tar`;
    await files.writeFile(path, bytes);
    const r = await wharf(["--root", root, "load", "-i", path]);
    assert.is(r.code, 1, label);
    assert.is(r.stderr.trim().split("\n").length, 1, `${label}: ${r.stderr}`);
    assert.match(r.stderr, pattern, label);
    assert.fixture(await dumpRoot(rt, root, "overlay2"), before);
  }
  const missing = await wharf(["--root", root, "rmi", "nosuch"]);
  assert.is(missing.code, 1);
  assert.is(missing.stderr, "wharf: No such image: nosuch:latest\n");
  const badRef = await wharf(["--root", root, "tag", "wharf-test/busybox:base", "Bad:Name"]);
  assert.is(badRef.code, 1);
  assert.match(badRef.stderr, /invalid reference format/);
});

test("flags and arguments: an unknown flag or one argument too many is refused (exit 2, store unchanged); --root and --driver work after the command word", async () => {
  const root = freshRoot();
  const unasked = `${tmp}/default-root-${counter++}`; // WHARF_ROOT: where a lost --root would have gone
  const env = { WHARF_ROOT: unasked };
  const load = await wharf(["load", "-q", "-i", busybox, "--root", root, "--driver=vfs"], undefined, env);
  assert.is(load.code, 0, load.stderr);
  assert.ok((await files.lstat(`${root}/vfs`)) !== null, "the root after the command word is the one used, with its driver");
  const before = await dumpRoot(rt, root, "vfs");
  for (const [args, message] of [
    [["rmi", "--forse", "wharf-test/busybox:base"], "wharf: unknown flag: --forse"],
    [["rmi", "-fx", "wharf-test/busybox:base"], "wharf: unknown shorthand flag: 'x' in -fx"],
    [["images", "--no-such"], "wharf: unknown flag: --no-such"],
    [["images", "--filter"], "wharf: flag needs an argument: --filter"],
    [["images", "--root"], "wharf: flag needs an argument: --root"],
    [["tag", "wharf-test/busybox:base", "x:1", "y:1"], 'wharf: "tag" accepts at most 2 arguments'],
    [["images", "wharf-test/busybox", "--", "extra"], 'wharf: "images" accepts at most 1 argument'],
  ] as const) {
    const r = await wharf(["--root", root, ...args], undefined, env);
    assert.is(r.code, 2, args.join(" "));
    assert.is(r.stderr.split("\n")[0], message);
    assert.match(r.stderr, new RegExp(`See 'wharf ${args[0]} --help'`));
    assert.fixture(await dumpRoot(rt, root, "vfs"), before);
  }
  const images = await wharf(["images", "-q", "--no-trunc", "--root", root], undefined, env);
  assert.is(images.stdout, "sha256:" + (await files.readdir(`${root}/image/vfs/imagedb/content/sha256`))[0] + "\n", images.stderr);
  const rmi = await wharf(["rmi", "-f", "--root", root, "wharf-test/busybox:base"], undefined, env);
  assert.is(rmi.code, 0, rmi.stderr);
  assert.equal(await files.readdir(`${root}/image/vfs/imagedb/content/sha256`), []);
  assert.is(await files.lstat(unasked), null, "nothing went to the default root");
});

test("unsafe layer entries: refused with one line, nothing written outside the layer, store unchanged", async () => {
  const root = freshRoot();
  assert.is((await wharf(["--root", root, "load", "-i", busybox])).code, 0);
  const before = await dumpRoot(rt, root, "overlay2");
  const outside = `${tmp}/outside-${counter++}`;
  await files.mkdir(outside);
  await files.writeFile(`${outside}/keep`, new TextEncoder().encode("keep"));
  const cases: Array<[string, TarBuilder]> = [
    ["../ in a name", new TarBuilder().file("../../../../../../../../" + outside.slice(1) + "/evil", "x")],
    ["absolute name", new TarBuilder().file(`${outside}/evil`, "x")],
    ["write through a symlink", new TarBuilder().entry({ name: "esc", typeflag: "2", linkname: outside }).file("esc/evil", "x")],
    ["hard link out of the layer", new TarBuilder().entry({ name: "h", typeflag: "1", linkname: `../../../../../../../..${outside}/keep` })],
    ["whiteout naming ..", new TarBuilder().entry({ name: "a/", typeflag: "5", mode: 0o755 }).file("a/.wh...", "")],
  ];
  for (const [label, layer] of cases) {
    const path = `${tmp}/unsafe-${counter++}.tar`;
    await files.writeFile(path, await oneLayerArchive(layer.end().bytes(), "unsafe:latest"));
    const r = await wharf(["--root", root, "load", "-i", path]);
    assert.is(r.code, 1, `${label}: ${r.stdout}${r.stderr}`);
    assert.is(r.stderr.trim().split("\n").length, 1, `${label}: ${r.stderr}`);
    assert.match(r.stderr, /unsafe|symlink|outside|climbs|absolute|whiteout/, label);
    assert.equal(await files.readdir(outside), ["keep"], label);
    assert.fixture(await dumpRoot(rt, root, "overlay2"), before);
  }
});

test.after(async () => {
  await files.remove(tmp, { recursive: true }).catch(() => {});
});

test.run();

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The wharf command line of this runtime (as test/support/cli.ts runs it). */
async function commandLine(): Promise<string[]> {
  const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  if (rt.name === "deno") return [`${repo}/node_modules/.bin/deno`, "run", "-A", `${repo}/cli/main.ts`];
  if (rt.name === "bun") return [`${repo}/node_modules/.bin/bun`, `${repo}/cli/main.ts`];
  return ["node", `${repo}/dist/wharf.mjs`];
}

/** A one-image docker-save archive whose single layer holds `size` bytes of incompressible data. */
/**
 * One layer of `size` random bytes and `smallFiles` files of 1 KiB: creating the small files
 * keeps registration going long enough to be caught mid-way (a single 40 MB file was written
 * within one 20 ms poll on a fast disk).
 */
async function bigArchive(size: number, smallFiles: number): Promise<Uint8Array> {
  const header = (name: string, typeflag: string, bytes: number) => ({ name, typeflag, mode: typeflag === "5" ? 0o755 : 0o644, uid: 0, gid: 0, size: bytes, mtime: 1_700_000_000 });
  const entries: TarEntry[] = [{ header: header("big.bin", "0", size), body: rt.random.bytes(size) }, { header: header("small/", "5", 0) }];
  for (let i = 0; i < smallFiles; i++) entries.push({ header: header(`small/${i}`, "0", 1024), body: rt.random.bytes(1024) });
  return oneLayerArchive(await readAll(writeTar(entries)), "big:latest");
}

/** A docker-save archive (legacy form) of one image made of `layer`. */
async function oneLayerArchive(layer: Uint8Array, tag: string): Promise<Uint8Array> {
  const sha = (b: Uint8Array) => {
    const d = rt.digests.sha256();
    d.update(b);
    return d.hex();
  };
  const diffID = `sha256:${sha(layer)}`;
  const config = new TextEncoder().encode(
    JSON.stringify({ architecture: "amd64", os: "linux", created: "2026-11-24T00:00:00Z", config: {}, rootfs: { type: "layers", diff_ids: [diffID] }, history: [{ created: "2026-11-24T00:00:00Z", created_by: "big" }] }),
  );
  const configName = `${sha(config)}.json`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: ["layer0/layer.tar"] }]);
  const member = (name: string, body: Uint8Array | string) => {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    return { header: { name, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: bytes.length, mtime: 0 }, body: bytes };
  };
  return writeMembers([member(configName, config), member("layer0/layer.tar", layer), member("manifest.json", manifest)]);
}
