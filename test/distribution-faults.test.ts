// Pulls that go wrong on the way, through a proxy in front of the test registry: a corrupted
// blob fails naming its digest and leaves nothing; a connection cut mid-blob is resumed by range;
// a pull killed with SIGKILL mid-blob is completed by the next pull, the store consistent.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { getRuntime } from "../src/runtime/index.ts";
import { fixturePath } from "./support/fixtures.ts";
import { repo, wharf, wharfCommand } from "./support/cli.ts";
import { dumpRoot } from "./support/layers.ts";
import { startProxy, startRegistry, type RunningRegistry } from "./support/registry.ts";

const rt = await getRuntime();
const files = rt.files!;
const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const driver = rt.env!.uid() === 0 ? "overlay2" : "vfs";
const REPO = "faults/multi";

let base = "";
let registry: RunningRegistry;
/** The image's layer blobs as pushed, largest first. */
let layers: Array<{ digest: string; size: number }> = [];

const ok = async (args: string[]) => {
  const r = await wharf(args);
  assert.is(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r;
};

// uvu reports a failing hook without its error: the setup is one function so a failure shows.
test.before(() => setup().catch((e) => {
  console.error("setup failed:", e);
  throw e;
}));
async function setup() {
  base = await files.makeTempDir("wharf-dist-faults-");
  registry = await startRegistry();
  const seed = `${base}/seed`;
  await ok(["--root", seed, "--driver", "vfs", "load", "-i", fixturePath("docker-save/multi.tar")]);
  await ok(["--root", seed, "tag", "wharf-test/multi:1", `${registry.host}/${REPO}:1`]);
  await ok(["--root", seed, "push", `${registry.host}/${REPO}:1`]);
  const response = await fetch(`${registry.url}/v2/${REPO}/manifests/1`, { headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } });
  const manifest = (await response.json()) as { layers: Array<{ digest: string; size: number }> };
  layers = [...manifest.layers].sort((a, b) => b.size - a.size);
}
test.after(async () => {
  await registry.stop();
  await files.remove(base, { recursive: true });
});

const layerdbLines = async (root: string) => (await dumpRoot(root, driver)).filter((l) => l.includes("/layerdb/sha256/"));
const storeLines = async (root: string) => (await dumpRoot(root, driver)).filter((l) => !l.includes("repositories.json") && !l.includes("/distribution"));

test("a blob corrupted on the way: the pull fails naming its digest, nothing is stored or tagged", async () => {
  const victim = layers[0]!;
  const proxy = await startProxy(registry.url, { corruptBlob: victim.digest });
  try {
    const root = `${base}/corrupt`;
    const r = await wharf(["--root", root, "--driver", driver, "pull", `${proxy.host}/${REPO}:1`]);
    assert.is(r.code, 1, r.stdout);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, `verification failed for digest ${victim.digest}`);
    assert.is((await ok(["--root", root, "images", "-q"])).stdout, "");
    assert.equal(await layerdbLines(root), []);
    assert.equal((await files.readdir(`${root}/${driver}`)).filter((d) => d !== "l"), []);
  } finally {
    await proxy.stop();
  }
});

test("every missing layer is requested once, with the config; a store that has them asks for the config only", async () => {
  const proxy = await startProxy(registry.url, {});
  try {
    const root = `${base}/counted`;
    await ok(["--root", root, "--driver", driver, "pull", `${proxy.host}/${REPO}:1`]);
    assert.is(proxy.blobRequests, layers.length + 1);
    const again = await ok(["--root", root, "pull", `${proxy.host}/${REPO}:1`]);
    assert.is(again.stdout.match(/: Already exists$/gm)?.length, layers.length);
    assert.is(proxy.blobRequests, layers.length + 2);
  } finally {
    await proxy.stop();
  }
});

test("a connection cut mid-blob is resumed with a Range request", async () => {
  const victim = layers[0]!;
  const proxy = await startProxy(registry.url, { cutBlob: { digest: victim.digest, afterBytes: Math.floor(victim.size / 2) } });
  try {
    const root = `${base}/cut`;
    await ok(["--root", root, "--driver", driver, "pull", `${proxy.host}/${REPO}:1`]);
    // One resume, from the byte reached (a reset socket may drop what was in flight, so ≤ the cut).
    assert.is(proxy.rangeRequests.length, 1, proxy.rangeRequests.join());
    const from = Number(/^bytes=(\d+)-$/.exec(proxy.rangeRequests[0]!)?.[1]);
    assert.ok(from > 0 && from <= Math.floor(victim.size / 2), proxy.rangeRequests[0]);
    assert.is((await ok(["--root", root, "images", "-q", "--no-trunc"])).stdout.trim(), MULTI_ID);
  } finally {
    await proxy.stop();
  }
});

test("a pull killed by SIGKILL mid-blob: the next pull completes and the store equals a clean pull", async () => {
  const victim = layers[0]!;
  const proxy = await startProxy(registry.url, { stallBlob: { digest: victim.digest, afterBytes: Math.floor(victim.size / 3) } });
  const root = `${base}/killed`;
  try {
    const [cmd, prefix] = await wharfCommand();
    const child = spawn(cmd, [...prefix, "--root", root, "--driver", driver, "pull", `${proxy.host}/${REPO}:1`], { cwd: repo, stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 60_000;
    while (proxy.stalled === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(proxy.stalled, 1, "the pull never reached the stalled blob");
    await new Promise((resolve) => setTimeout(resolve, 300)); // the other layers get on with it meanwhile
    child.kill("SIGKILL");
    await exited;
  } finally {
    await proxy.stop();
  }
  const again = await ok(["--root", root, "--driver", driver, "pull", `${registry.host}/${REPO}:1`]);
  assert.match(again.stdout, `Status: Downloaded newer image for ${registry.host}/${REPO}:1`);
  const clean = `${base}/clean`;
  await ok(["--root", clean, "--driver", driver, "pull", `${registry.host}/${REPO}:1`]);
  assert.equal(await storeLines(root), await storeLines(clean));
  assert.is((await ok(["--root", root, "images", "--format", "json"])).stdout.trim().split("\n").length, 1);
});

test.run();
