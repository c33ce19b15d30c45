// The containers' storage acceptance, through the command line: create, mount, change the
// merged rootfs, diff, commit, save, load elsewhere, export; rm and rmi give the root back.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { wharf } from "./support/cli.ts";
import { fixturePath } from "./support/fixtures.ts";
import { dumpRoot } from "./support/tarexport-archive.ts";
import { listRootfsTar, listingText, type RootfsListing } from "./support/rootfs-tar.ts";

const rt = await getRuntime();
const files = rt.files!;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const multi = fixturePath("docker-save/multi.tar");
const IMAGE = "wharf-test/multi:1";
const DEEP = `/data/${"d".repeat(60)}/${"e".repeat(80)}`;
const tmp = await files.makeTempDir("wharf-container-acceptance-");
let counter = 0;
const freshRoot = () => `${tmp}/root${counter++}`;

async function ok(args: string[]): Promise<string> {
  const r = await wharf(args);
  assert.is(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The scenario, done inside the merged rootfs: add, change, delete from a lower layer, replace a lower dir, rename. */
async function changeRootfs(merged: string): Promise<void> {
  await files.writeFile(`${merged}/data/added.txt`, encoder.encode("added\n"), 0o644);
  // Rewritten in place (open "w"), as an editor would: the file keeps its mode.
  const changed = await files.open(`${merged}${DEEP}/f.txt`, "w");
  await changed.write(encoder.encode("changed\n"));
  await changed.close();
  await files.remove(`${merged}/bin/ls`);
  await files.remove(`${merged}/data/opaque`, { recursive: true });
  await files.mkdir(`${merged}/data/opaque`, { mode: 0o755 });
  await files.writeFile(`${merged}/data/opaque/fresh.txt`, encoder.encode("fresh\n"), 0o644);
  await files.rename(`${merged}/data/link`, `${merged}/data/link2`);
}

/** What the committed image must hold: the original rootfs with exactly the scenario's changes. */
function expectedRootfs(original: RootfsListing): RootfsListing {
  const expected = new Map(original);
  expected.set("data/added.txt", "0 100644 0:0 added\n");
  expected.set(`${DEEP.slice(1)}/f.txt`, "0 100644 0:0 changed\n");
  expected.delete("bin/ls");
  for (const name of [...expected.keys()]) if (name.startsWith("data/opaque/")) expected.delete(name);
  expected.set("data/opaque/fresh.txt", "0 100644 0:0 fresh\n");
  expected.set("data/link2", expected.get("data/link")!);
  expected.delete("data/link");
  return expected;
}

// moby OverlayChanges: whiteouts and the opaque dir are D, a parent of an A or D is C; copied-up
// parents of a change are not listed when their stat matches the lower dir.
const OVERLAY_DIFF = [
  "C /bin", "D /bin/ls", "C /data", "A /data/added.txt", `C ${DEEP}/f.txt`, "D /data/link", "A /data/link2",
  "D /data/opaque", "A /data/opaque/fresh.txt",
];
// moby naive ChangesDirs: every directory holding a change is C; the replaced dir's old file is D.
const NAIVE_DIFF = [
  "C /bin", "D /bin/ls", "C /data", "A /data/added.txt", `C /data/${"d".repeat(60)}`, `C ${DEEP}`, `C ${DEEP}/f.txt`,
  "D /data/link", "A /data/link2", "C /data/opaque", "A /data/opaque/fresh.txt", "D /data/opaque/new.txt",
];

async function exportImage(root: string, image: string): Promise<RootfsListing> {
  const out = `${tmp}/export-${counter++}.tar`;
  await ok(["--root", root, "image", "export", "-o", out, image]);
  return listRootfsTar(await files.readFile(out));
}

async function inspectDiffIDs(root: string, image: string): Promise<string[]> {
  const [inspect] = JSON.parse(await ok(["--root", root, "image", "inspect", image])) as Array<{ RootFS: { Layers: string[] } }>;
  return inspect!.RootFS.Layers;
}

for (const driver of ["overlay2", "vfs"] as const) {
  test(`${driver}: create, mount, change, diff, commit; the image holds exactly the changes; rm and rmi give the root back`, async () => {
    const root = freshRoot();
    const w = (...args: string[]) => ok(["--root", root, "--driver", driver, ...args]);
    await w("load", "-i", multi);
    const loaded = await dumpRoot(rt, root, driver);
    const id = (await w("create", "--name", "work", IMAGE)).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const merged = (await w("mount", "work")).trim();
    await changeRootfs(merged);

    if (driver === "overlay2") {
      const mountID = decoder.decode(await files.readFile(`${root}/image/overlay2/layerdb/mounts/${id}/mount-id`));
      const upper = `${root}/overlay2/${mountID}/diff`;
      for (const whiteout of ["bin/ls", "data/link"]) {
        const info = await files.lstat(`${upper}/${whiteout}`);
        assert.is(info?.kind, "char", `${whiteout} is a whiteout`);
        assert.is(info?.rdev, 0, `${whiteout} is 0:0`);
      }
      assert.equal(await files.getxattr(`${upper}/data/opaque`, "trusted.overlay.opaque"), encoder.encode("y"));
    }
    assert.is(await w("diff", "work"), (driver === "overlay2" ? OVERLAY_DIFF : NAIVE_DIFF).map((l) => `${l}\n`).join(""));
    await w("umount", "work");

    const imageID = (await w("commit", "-m", "the scenario", "work", "result:1")).trim();
    assert.match(imageID, /^sha256:[0-9a-f]{64}$/);
    const diffIDs = await inspectDiffIDs(root, "result:1");
    assert.equal(diffIDs.slice(0, -1), await inspectDiffIDs(root, IMAGE));
    const original = await exportImage(root, IMAGE);
    const expected = listingText(expectedRootfs(original));
    assert.fixture(listingText(await exportImage(root, "result:1")), expected);

    // Saved and loaded into fresh roots of both drivers: the same layer, the same rootfs.
    const archive = `${tmp}/result-${counter++}.tar`;
    await w("save", "-o", archive, "result:1");
    for (const other of ["overlay2", "vfs"]) {
      const otherRoot = freshRoot();
      await ok(["--root", otherRoot, "--driver", other, "load", "-i", archive]);
      assert.equal(await inspectDiffIDs(otherRoot, "result:1"), diffIDs, `${driver} commit loaded into ${other}`);
      assert.fixture(listingText(await exportImage(otherRoot, "result:1")), expected);
    }

    await w("rm", "work");
    await w("rmi", "result:1");
    // rm and rmi return the root to its state after the load, line for line.
    assert.fixture(await dumpRoot(rt, root, driver), loaded);
    await w("rmi", IMAGE);
    assert.equal(await files.readdir(`${root}/image/${driver}/layerdb/sha256`), []);
  });
}

test("an unchanged container commits an empty_layer history entry and no layer", async () => {
  const root = freshRoot();
  const w = (...args: string[]) => ok(["--root", root, ...args]);
  await w("load", "-i", multi);
  await w("create", "--name", "same", IMAGE);
  const layersBefore = (await files.readdir(`${root}/image/overlay2/layerdb/sha256`)).sort();
  const configHex = (await w("commit", "-a", "A. Uthor", "same", "same:1")).trim().replace("sha256:", "");
  const [parent] = JSON.parse(await w("image", "inspect", IMAGE)) as Array<{ RootFS: { Layers: string[] } }>;
  const [child] = JSON.parse(await w("image", "inspect", "same:1")) as Array<{ RootFS: { Layers: string[] }; Author: string; Parent: string }>;
  assert.equal(child!.RootFS.Layers, parent!.RootFS.Layers);
  assert.is(child!.Author, "A. Uthor");
  assert.equal((await files.readdir(`${root}/image/overlay2/layerdb/sha256`)).sort(), layersBefore);
  const history = JSON.parse(await w("history", "--format", "json", "--no-trunc", "same:1").then((s) => `[${s.trim().split("\n").join(",")}]`)) as Array<Record<string, string>>;
  assert.is(history.length, 8);
  const config = JSON.parse(decoder.decode(await files.readFile(`${root}/image/overlay2/imagedb/content/sha256/${configHex}`)));
  assert.equal(config.history.at(-1), { created: config.created, author: "A. Uthor", created_by: "/bin/sh", empty_layer: true });
});

test("bad input: invalid reference, unknown or ambiguous container — one line, exit 1, nothing changed", async () => {
  const root = freshRoot();
  await ok(["--root", root, "load", "-i", multi]);
  await ok(["--root", root, "create", "--name", "cc", IMAGE]);
  const before = await dumpRoot(rt, root, "overlay2");
  const cases: Array<[string[], string]> = [
    [["commit", "cc", "Not/Valid"], "wharf: invalid reference format: repository name must be lowercase\n"],
    [["commit", "cc", "x@sha256:" + "0".repeat(64)], "wharf: refusing to create a tag with a digest reference\n"],
    [["commit", "-c", "RUN true", "cc", "x:1"], "wharf: run is not a valid change command\n"],
    [["commit", "nope"], "wharf: No such container: nope\n"],
    [["diff", "nope"], "wharf: No such container: nope\n"],
    [["export", "-o", `${tmp}/never.tar`, "nope"], "wharf: No such container: nope\n"],
    [["image", "export", "-o", `${tmp}/never.tar`, "nope:1"], "wharf: No such image: nope:1\n"],
  ];
  for (const [args, stderr] of cases) {
    const r = await wharf(["--root", root, ...args]);
    assert.is(r.stderr, stderr, args.join(" "));
    assert.is(r.code, 1, args.join(" "));
    assert.is(r.stdout, "");
  }
  assert.is(await files.lstat(`${tmp}/never.tar`), null);
  assert.fixture(await dumpRoot(rt, root, "overlay2"), before);
});

test.after(async () => {
  await files.remove(tmp, { recursive: true }).catch(() => {});
});

test.run();
