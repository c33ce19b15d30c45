/**
 * Test helpers for the layer and image stores: the layer tars and config of the `multi.tar`
 * fixture (read with TarReader, small enough to keep in memory in tests), the data-root listing
 * of `dump-root.py`, and a driver under test for a data-root.
 */
import { getRuntime } from "../../src/runtime/index.ts";
import { TarReader } from "../../src/tar/reader.ts";
import { readAll } from "../../src/io/bytes.ts";
import { digestOf } from "../../src/hash/digest.ts";
import type { DiffID } from "../../src/layer/layer.ts";
import { fixturePath, readFixture } from "./fixtures.ts";
import { headerBlock } from "./tar-builder.ts";
import type { ByteSource } from "../../src/io/source.ts";

export interface FixtureImage {
  rawConfig: Uint8Array;
  /** Layer tars in order, with the diffIDs the config names. */
  layers: Array<{ diffID: DiffID; tar: Uint8Array }>;
}

const decoder = new TextDecoder();

export async function readSavedImage(fixture = "docker-save/multi.tar"): Promise<FixtureImage> {
  const rt = await getRuntime();
  const members = new Map<string, Uint8Array>();
  for await (const entry of new TarReader(await readFixture(fixture))) {
    if (entry.header.typeflag === "0" || entry.header.typeflag === "\0") members.set(entry.header.name, await readAll(entry.stream()));
    else await entry.skip();
  }
  const manifest = JSON.parse(decoder.decode(members.get("manifest.json")!)) as Array<{ Config: string; Layers: string[] }>;
  const rawConfig = members.get(manifest[0]!.Config)!;
  const config = JSON.parse(decoder.decode(rawConfig)) as { rootfs: { diff_ids: DiffID[] } };
  const layers = manifest[0]!.Layers.map((path, i) => {
    const tar = members.get(path)!;
    const diffID = config.rootfs.diff_ids[i]!;
    if (digestOf(rt.digests, tar) !== diffID) throw new Error(`fixture layer ${path} does not hash to ${diffID}`);
    return { diffID, tar };
  });
  return { rawConfig, layers };
}

/** `dump-root.py ROOT DRIVER` lines (sorted by the tool). */
export async function dumpRoot(root: string, driver: string): Promise<string[]> {
  const rt = await getRuntime();
  const tool = fixturePath("../tools/dump-root.py");
  const r = await rt.processes!.run("python3", [tool, root, driver]);
  if (r.code !== 0) throw new Error(`dump-root failed: ${decoder.decode(r.stderr)}`);
  return decoder.decode(r.stdout).split("\n").filter((l) => l !== "");
}

/** The fixture listing's lines under `prefix` (e.g. `image/overlay2/layerdb`). */
export async function fixtureLines(listing: string, prefix: string): Promise<string[]> {
  const text = decoder.decode(await readFixture(`docker-save/${listing}`));
  return text.split("\n").filter((l) => l.split(" ")[3]?.startsWith(prefix));
}

/** Lines of a dump under `prefix`. */
export function linesUnder(lines: string[], prefix: string): string[] {
  return lines.filter((l) => l.split(" ")[3]?.startsWith(prefix));
}

/**
 * A one-file layer tar whose file has `size` pseudo-random bytes (xorshift), generated as it is
 * read so large layers take no memory. The same size gives the same bytes.
 */
export function bigLayerTar(size: number): ByteSource {
  const parts: Array<{ left: number; fill(into: Uint8Array): void }> = [];
  const fixed = (bytes: Uint8Array) => {
    let at = 0;
    return { left: bytes.length, fill(into: Uint8Array) { into.set(bytes.subarray(at, at + into.length)); at += into.length; } };
  };
  let state = 0x9e3779b9;
  const body = {
    left: size,
    fill(into: Uint8Array) {
      for (let i = 0; i < into.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        into[i] = state & 0xff;
      }
    },
  };
  parts.push(fixed(headerBlock({ name: "big.bin", mode: 0o644, size })), body, fixed(new Uint8Array((512 - (size % 512)) % 512 + 1024)));
  return {
    async read(into: Uint8Array): Promise<number> {
      const part = parts.find((p) => p.left > 0);
      if (!part) return 0;
      const n = Math.min(into.length, part.left);
      part.fill(into.subarray(0, n));
      part.left -= n;
      return n;
    },
  };
}
