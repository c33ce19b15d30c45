// security.capability travels into layer tars as Docker carries it (SCHILY.xattr), whether the
// runtime reads xattrs per file (libc: Deno, Bun) or one tree at a time (Node's getfattr -R).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { rootfsEntries } from "../src/container/export.ts";

const rt = await getRuntime();
const files = rt.files!;
// vfs_cap_data v2: effective, permitted cap_net_raw (bit 13).
const CAP = new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const rootTest = rt.env?.uid() === 0 ? test : test.skip; // setting security.* needs root

rootTest("capabilities of files in a tree reach the tar headers, and only theirs", async () => {
  const dir = await files.makeTempDir("wharf-cap-");
  try {
    await files.mkdir(`${dir}/bin`);
    await files.writeFile(`${dir}/bin/ping me`, new Uint8Array([1]));
    await files.writeFile(`${dir}/bin/plain`, new Uint8Array([2]));
    await files.setxattr(`${dir}/bin/ping me`, "security.capability", CAP);
    const seen = new Map<string, Uint8Array | undefined>();
    for await (const entry of rootfsEntries(files, dir)) {
      const name = typeof entry.header.name === "string" ? entry.header.name : new TextDecoder().decode(entry.header.name);
      const cap = entry.header.xattrs?.["security.capability"];
      seen.set(name, typeof cap === "string" ? new TextEncoder().encode(cap) : cap);
    }
    assert.equal([...seen.keys()], ["bin/", "bin/ping me", "bin/plain"]);
    assert.equal(seen.get("bin/ping me"), CAP);
    assert.is(seen.get("bin/plain"), undefined);
    assert.is(seen.get("bin/"), undefined);
  } finally {
    await files.remove(dir, { recursive: true });
  }
});

test.run();
