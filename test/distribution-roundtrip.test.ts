// Push and pull through the CLI against a real registry (Debian's docker-registry on 127.0.0.1):
// multi.tar loaded, pushed, pulled into fresh roots (same image ID, same data-root as a load),
// blobs skipped or mounted on later pushes, and a hand-built two-platform index.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { gzipEncode } from "../src/compress/index.ts";
import { readAll } from "../src/io/bytes.ts";
import { digestOf } from "../src/hash/digest.ts";
import { fixturePath } from "./support/fixtures.ts";
import { wharf } from "./support/cli.ts";
import { dumpRoot } from "./support/layers.ts";
import { TarBuilder } from "./support/tar-builder.ts";
import { pushRawBlob, putRawManifest, startRegistry, type RunningRegistry } from "./support/registry.ts";

const rt = await getRuntime();
const files = rt.files!;
const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const MULTI = fixturePath("docker-save/multi.tar");
const drivers = rt.env!.uid() === 0 ? ["overlay2", "vfs"] : ["vfs"];

let base = "";
let registry: RunningRegistry;
test.before(async () => {
  base = await files.makeTempDir("wharf-dist-");
  registry = await startRegistry();
});
test.after(async () => {
  await registry.stop();
  await files.remove(base, { recursive: true });
});

const ok = async (args: string[]) => {
  const r = await wharf(args);
  assert.is(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r;
};
/** The listing minus repositories.json (the names differ by design) and distribution/ metadata. */
const storeLines = async (root: string, driver: string) =>
  (await dumpRoot(root, driver)).filter((l) => !l.includes("repositories.json") && !l.includes("/distribution"));

for (const driver of drivers) {
  test(`load → push → pull into a fresh ${driver} root: same image ID and data-root as the load`, async () => {
    const source = `${base}/${driver}-source`;
    const loaded = `${base}/${driver}-loaded`;
    const pulled = `${base}/${driver}-pulled`;
    const name = `${registry.host}/${driver}/multi:1`;
    await ok(["--root", source, "--driver", driver, "load", "-i", MULTI]);
    await ok(["--root", source, "tag", "wharf-test/multi:1", name]);
    const push = await ok(["--root", source, "push", name]);
    assert.match(push.stdout, `The push refers to repository [${registry.host}/${driver}/multi]`);
    const pushed = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(push.stdout);
    assert.ok(pushed, push.stdout);
    assert.is(push.stdout.match(/: Pushed$/gm)?.length, 4);

    const pull = await ok(["--root", pulled, "--driver", driver, "pull", name]);
    assert.match(pull.stdout, `1: Pulling from ${driver}/multi`);
    assert.match(pull.stdout, `Digest: ${pushed![1]}`);
    assert.match(pull.stdout, `Status: Downloaded newer image for ${name}`);
    assert.is(pull.stdout.trimEnd().split("\n").at(-1), name);
    const ids = await ok(["--root", pulled, "images", "-q", "--no-trunc"]);
    assert.is(ids.stdout.trim(), MULTI_ID);
    const inspect = JSON.parse((await ok(["--root", pulled, "image", "inspect", name])).stdout) as Array<{ RepoDigests: string[]; RepoTags: string[] }>;
    assert.equal(inspect[0]!.RepoTags, [name]);
    assert.equal(inspect[0]!.RepoDigests, [`${registry.host}/${driver}/multi@${pushed![1]}`]);

    await ok(["--root", loaded, "--driver", driver, "load", "-i", MULTI]);
    assert.equal(await storeLines(pulled, driver), await storeLines(loaded, driver));
    const v2 = await files.readdir(`${pulled}/image/${driver}/distribution/v2metadata-by-diffid/sha256`);
    assert.is(v2.length, 4);
    const again = await ok(["--root", pulled, "pull", name]);
    assert.is(again.stdout.match(/: Already exists$/gm)?.length, 4);
    assert.match(again.stdout, `Status: Image is up to date for ${name}`);
  });
}

test("a second push skips every blob; a push to another repository mounts them", async () => {
  const root = `${base}/mounts`;
  await ok(["--root", root, "--driver", "vfs", "load", "-i", MULTI]);
  await ok(["--root", root, "tag", "wharf-test/multi:1", `${registry.host}/a/multi:1`]);
  await ok(["--root", root, "tag", "wharf-test/multi:1", `${registry.host}/b/multi:2`]);
  const first = await ok(["--root", root, "push", `${registry.host}/a/multi:1`]);
  const second = await ok(["--root", root, "push", `${registry.host}/a/multi:1`]);
  assert.is(second.stdout.match(/: Layer already exists$/gm)?.length, 4, second.stdout);
  const digest = (out: string) => /digest: (sha256:\S+)/.exec(out)![1];
  assert.is(digest(second.stdout), digest(first.stdout));
  const mounted = await ok(["--root", root, "push", `${registry.host}/b/multi:2`]);
  assert.is(mounted.stdout.match(new RegExp(`: Mounted from ${registry.host}/a/multi$`, "gm"))?.length, 4, mounted.stdout);
  assert.is(digest(mounted.stdout), digest(first.stdout));
});

/** A one-layer image for `arch`, pushed raw; returns its manifest descriptor and image ID. */
async function pushPlatformImage(repo: string, arch: string) {
  const layerTar = new TarBuilder().file("etc/arch", `${arch}\n`, { mode: 0o644 }).end().bytes();
  const diffID = digestOf(rt.digests, layerTar);
  const layer = await readAll(new Blob([new Uint8Array(layerTar)]).stream().pipeThrough(gzipEncode()));
  const config = new TextEncoder().encode(JSON.stringify({ architecture: arch, os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [diffID] }, history: [{ created_by: `arch ${arch}` }] }));
  const layerDigest = await pushRawBlob(registry.url, repo, layer);
  const configDigest = await pushRawBlob(registry.url, repo, config);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length }],
  }));
  const digest = await putRawManifest(registry.url, repo, digestOf(rt.digests, manifest), "application/vnd.oci.image.manifest.v1+json", manifest);
  return { descriptor: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: manifest.length, platform: { os: "linux", architecture: arch } }, imageID: configDigest };
}

test("an index with two platforms: --platform picks one, the default is this machine's", async () => {
  const repo = "platforms/app";
  const amd64 = await pushPlatformImage(repo, "amd64");
  const arm64 = await pushPlatformImage(repo, "arm64");
  const index = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [amd64.descriptor, arm64.descriptor] }));
  const indexDigest = await putRawManifest(registry.url, repo, "1", "application/vnd.oci.image.index.v1+json", index);
  const name = `${registry.host}/${repo}:1`;

  const armRoot = `${base}/arm`;
  const arm = await ok(["--root", armRoot, "--driver", "vfs", "pull", "--platform", "linux/arm64", name]);
  assert.match(arm.stdout, `Digest: ${indexDigest}`);
  assert.is((await ok(["--root", armRoot, "images", "-q", "--no-trunc"])).stdout.trim(), arm64.imageID);
  const inspect = JSON.parse((await ok(["--root", armRoot, "image", "inspect", name])).stdout) as Array<{ Architecture: string }>;
  assert.is(inspect[0]!.Architecture, "arm64");

  const hostArch = rt.env!.platform().architecture;
  if (hostArch === "amd64" || hostArch === "arm64") {
    const nativeRoot = `${base}/native`;
    await ok(["--root", nativeRoot, "--driver", "vfs", "pull", name]);
    assert.is((await ok(["--root", nativeRoot, "images", "-q", "--no-trunc"])).stdout.trim(), hostArch === "amd64" ? amd64.imageID : arm64.imageID);
  }
  const missing = await wharf(["--root", `${base}/s390x`, "--driver", "vfs", "pull", "--platform", "linux/s390x", name]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, "no matching manifest for linux/s390x");
  assert.is(missing.stderr.trim().split("\n").length, 1);
});

test("bad references and unknown tags: one line, exit 1", async () => {
  const unknown = await wharf(["--root", `${base}/bad`, "--driver", "vfs", "pull", `${registry.host}/nothing/here:9`]);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, `manifest for ${registry.host}/nothing/here:9 not found: manifest unknown: manifest unknown (MANIFEST_UNKNOWN)`);
  assert.is(unknown.stderr.trim().split("\n").length, 1);
  const upper = await wharf(["--root", `${base}/bad`, "--driver", "vfs", "pull", "Not/Valid"]);
  assert.is(upper.code, 1);
  assert.match(upper.stderr, "repository name must be lowercase");
  const notLocal = await wharf(["--root", `${base}/bad`, "--driver", "vfs", "push", `${registry.host}/absent:1`]);
  assert.is(notLocal.code, 1);
  assert.match(notLocal.stderr, "An image does not exist locally with the tag");
});

test.run();
