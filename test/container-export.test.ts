// docker export and wharf image export: the flattened rootfs, whiteouts applied, Docker's headers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { TarReader } from "../src/tar/reader.ts";
import { wharf } from "./support/cli.ts";
import { fixturePath } from "./support/fixtures.ts";
import { listRootfsTar } from "./support/rootfs-tar.ts";

const rt = await getRuntime();
const files = rt.files!;
const multi = fixturePath("docker-save/multi.tar");
const tmp = await files.makeTempDir("wharf-container-export-");

async function ok(args: string[]): Promise<string> {
  const r = await wharf(args);
  assert.is(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

for (const driver of ["overlay2", "vfs"] as const) {
  const root = `${tmp}/${driver}`;
  const w = (...args: string[]) => ok(["--root", root, "--driver", driver, ...args]);

  test(`${driver}: image export flattens the layers: whiteouts and the opaque dir applied`, async () => {
    await w("load", "-i", multi);
    await w("image", "export", "-o", `${tmp}/${driver}-image.tar`, "wharf-test/multi:1");
    const tar = await files.readFile(`${tmp}/${driver}-image.tar`);
    const listing = await listRootfsTar(tar);
    assert.not.ok(listing.has("data/deleteme.txt"));
    assert.not.ok(listing.has("data/opaque/old.txt"));
    assert.is(listing.get("data/opaque/new.txt"), "0 100644 0:0 new\n");
    assert.is(listing.get("data/link"), "2 120777 0:0 -> /data/target.txt");
    assert.ok([...listing.keys()].every((name) => !name.includes(".wh.")));
    const names: string[] = [];
    for await (const entry of new TarReader(tar)) names.push(entry.header.name);
    assert.is(names[0], "bin/", "no entry for the root itself; directories end in /");
    assert.ok(names.includes("data/hard") && names.includes("data/target.txt"));
    // filepath.Walk order: a directory, then what is inside it, names sorted.
    assert.equal(names.filter((n) => /^data\/[^/]+$/.test(n)), ["data/hard", "data/link", "data/target.txt"]);
  });

  test(`${driver}: export of a container holds the image, the init layer and the container's own files`, async () => {
    await w("create", "--name", "exp", "wharf-test/multi:1");
    const merged = (await w("mount", "exp")).trim();
    await files.writeFile(`${merged}/tmp/mine.txt`, new TextEncoder().encode("mine\n"), 0o600);
    await w("umount", "exp");
    const out = `${tmp}/${driver}-container.tar`;
    await w("export", "-o", out, "exp");
    const listing = await listRootfsTar(await files.readFile(out));
    assert.is(listing.get("tmp/mine.txt"), "0 100600 0:0 mine\n");
    assert.is(listing.get(".dockerenv"), "0 100755 0:0 ");
    assert.is(listing.get("etc/mtab"), "2 120777 0:0 -> /proc/mounts");
    assert.ok(listing.has("dev/pts") && listing.has("proc") && listing.has("sys"));
    assert.is(listing.get("data/opaque/new.txt"), "0 100644 0:0 new\n");
    assert.is((await ok(["--root", root, "ps", "-a", "-q"])).trim().length, 12);
    // Unmounted again after the export: one mount, one unmount.
    const dir = await files.readdir(tmp);
    assert.not.ok(dir.some((name) => name.includes(".tmp")), "no temporary file left beside -o");
    await w("rm", "exp");
  });
}

test.after(async () => {
  await files.remove(tmp, { recursive: true }).catch(() => {});
});

test.run();
