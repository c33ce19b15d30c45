import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, readlinkSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";

const longDir = `deep/${"d".repeat(90)}`;
const longFile = `${"f".repeat(120)}.txt`; // longer than 100: needs PAX
const entries: TarEntry[] = [
  { header: { name: "deep/", typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1700000000 } },
  { header: { name: `${longDir}/`, typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1700000000 } },
  { header: { name: `${longDir}/${longFile}`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: 6, mtime: 1700000000, xattrs: { "user.note": "hi" } }, body: new TextEncoder().encode("hello\n") },
  { header: { name: "hard", typeflag: "1", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1700000000, linkname: `${longDir}/${longFile}` } },
  { header: { name: "sym", typeflag: "2", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1700000000, linkname: "deep/" + "s".repeat(150) } },
];

test("GNU tar lists and extracts what the writer produced", async () => {
  const dir = mkdtempSync(`${tmpdir()}/wharf-tar-`);
  try {
    const archive = `${dir}/a.tar`;
    writeFileSync(archive, new Uint8Array(await new Response(writeTar(entries)).arrayBuffer()));
    const listing = execFileSync("tar", ["-tvf", archive], { encoding: "utf8" });
    assert.match(listing, `${longDir}/${longFile}`);
    assert.match(listing, `hard link to ${longDir}/${longFile}`);
    assert.match(listing, `sym -> deep/${"s".repeat(150)}`);
    execFileSync("tar", ["-xf", archive, "-C", dir, "--xattrs", "--no-same-owner"]);
    assert.is(readFileSync(`${dir}/${longDir}/${longFile}`, "utf8"), "hello\n");
    assert.is(statSync(`${dir}/hard`).ino, statSync(`${dir}/${longDir}/${longFile}`).ino);
    assert.is(readlinkSync(`${dir}/sym`), `deep/${"s".repeat(150)}`);
    assert.is(Math.floor(statSync(`${dir}/${longDir}/${longFile}`).mtimeMs / 1000), 1700000000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
