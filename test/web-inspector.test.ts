/**
 * The web inspector (web/) end to end in headless Chromium: built with `npm run web:build`,
 * served on 127.0.0.1, multi.tar opened through the file input. Node only: playwright-core
 * drives Chromium from Node; under Deno and Bun the file reports itself skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRuntime } from "../src/runtime/index.ts";
import { fixturePath } from "./support/fixtures.ts";

const runtime = await getRuntime();
const MULTI = fixturePath("docker-save/multi.tar");
// The layer that adds data/deleteme.txt, data/opaque/old.txt and data/target.txt.
const CORRUPT_LAYER = "042f01703d7e4c0f5e1aca89371f31ca2337a9b8093a4ce47104dacf78587d64/layer.tar";

type Web = typeof import("./support/web-inspector.ts");
type Browser = Awaited<ReturnType<Web["launchChromium"]>>;
let web: Web;
let browser: Browser;
let server: Awaited<ReturnType<Web["serveDir"]>>;
let tmp: string;

/** Offset and size of a member's body in a plain tar (ustar names only: enough for these fixtures). */
function member(tar: Uint8Array, name: string, from = 0, end = tar.length): { at: number; size: number } {
  const text = new TextDecoder();
  for (let at = from; at + 512 <= end;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (o: number, n: number) => text.decode(header.subarray(o, o + n)).replace(/\0.*$/s, "");
    const full = (field(345, 155) ? `${field(345, 155)}/` : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    if (full === name) return { at: at + 512, size };
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name} not in tar`);
}

const t = runtime.name === "node" ? test : test.skip;
if (runtime.name !== "node") console.log(`web-inspector: skipped on ${runtime.name}: playwright-core drives Chromium from Node only`);

test.before(async () => {
  if (runtime.name !== "node") return;
  web = await import("./support/web-inspector.ts");
  tmp = mkdtempSync(join(tmpdir(), "wharf-web-"));
  server = await web.serveDir(web.buildWebDist());
  browser = await web.launchChromium();
});

test.after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

t("multi.tar: four layers, every digest verified, history, trees with whiteout and opaque dir", async () => {
  const { page, foreign, pageErrors } = await web.openInspector(browser, server.base);
  const state = await web.inspectFile(page, MULTI);
  assert.is(state, "done", await page.locator("#error").textContent() ?? "");
  assert.ok(await page.locator("#error").isHidden());

  const layers = page.locator('[data-testid="layer"]');
  assert.is(await layers.count(), 4);
  for (const row of await layers.all()) {
    assert.is(await row.getAttribute("data-diffid-verified"), "true", `diffID of ${await row.getAttribute("data-source")}`);
    assert.is(await row.getAttribute("data-error"), null);
  }
  assert.is(await page.locator('[data-testid="image"]').count(), 1);
  assert.is(await page.locator('[data-testid="image"]').getAttribute("data-id-verified"), "true");
  assert.ok((await page.locator('[data-testid="image"] h2').textContent())!.includes("wharf-test/multi:1"));
  // Raw config: exactly the bytes the ID is the sha256 of.
  const archive = readFileSync(MULTI);
  const configMember = member(archive, "0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd.json");
  const rawConfig = new TextDecoder().decode(archive.subarray(configMember.at, configMember.at + configMember.size));
  assert.is(await page.locator('[data-testid="config-raw"]').textContent(), rawConfig);
  // History: ADD/RUN steps name their layer, ENV/CMD steps are empty-layer steps.
  assert.ok(await page.locator('[data-testid="history"][data-empty-layer="false"]').count() === 4);
  assert.ok(await page.locator('[data-testid="history"][data-empty-layer="true"]').count() >= 1);

  // Layer 2 (rm deleteme.txt; rm -rf + mkdir opaque): its tree through the search box.
  await page.selectOption("#tree-select", "0:2");
  await page.fill("#search", "data/");
  const deleted = page.locator('#tree .node[data-path="data/deleteme.txt"]');
  await deleted.waitFor();
  assert.is(await deleted.getAttribute("data-change"), "deleted");
  assert.is(await page.locator('#tree .node[data-path="data/opaque"]').getAttribute("data-opaque"), "true");
  assert.is(await page.locator('#tree .node[data-path="data/opaque/new.txt"]').getAttribute("data-change"), "added");

  // Merged tree, browsed by expanding directories (children render on expand only).
  await page.fill("#search", "");
  await page.selectOption("#tree-select", "0:merged");
  assert.is(await page.locator('#tree .node[data-path="data/opaque"]').count(), 0, "collapsed dirs render no children");
  await page.click('#tree .node[data-path="data"] .name');
  const opaque = page.locator('#tree .node[data-path="data/opaque"]');
  await opaque.waitFor();
  assert.is(await opaque.getAttribute("data-opaque"), "true");
  await page.click('#tree .node[data-path="data/opaque"] .name');
  await page.locator('#tree .node[data-path="data/opaque/new.txt"]').waitFor();
  // Whiteouts applied: the deleted file and the old contents of the opaque dir are gone (or shown as deleted).
  for (const gone of ["data/deleteme.txt", "data/opaque/old.txt"]) {
    for (const row of await page.locator(`#tree .node[data-path="${gone}"]`).all()) assert.is(await row.getAttribute("data-change"), "deleted", gone);
  }
  assert.ok(await page.locator('#tree .node[data-path="data/link"]').count() === 1);
  assert.equal(foreign, [], "no request leaves the page");
  assert.equal(pageErrors, []);
  await page.close();
});

t("a byte flipped inside one layer's file content fails that layer only", async () => {
  const bytes = new Uint8Array(readFileSync(MULTI));
  const layer = member(bytes, CORRUPT_LAYER);
  const target = member(bytes, "data/target.txt", layer.at, layer.at + layer.size);
  bytes[target.at]! ^= 0x01;
  const path = join(tmp, "multi-corrupt.tar");
  writeFileSync(path, bytes);

  const { page } = await web.openInspector(browser, server.base);
  assert.is(await web.inspectFile(page, path), "done-with-errors");
  assert.ok(await page.locator("#error").isVisible());
  for (const row of await page.locator('[data-testid="layer"]').all()) {
    const source = await row.getAttribute("data-source");
    assert.is(await row.getAttribute("data-diffid-verified"), source === CORRUPT_LAYER ? "false" : "true", source ?? "");
  }
  assert.is(await page.locator(`[data-testid="layer"][data-source="${CORRUPT_LAYER}"]`).count(), 1);
  assert.is(await page.locator('[data-testid="image"]').getAttribute("data-id-verified"), "true");
  await page.close();
});

t("a truncated archive shows a clear error", async () => {
  const bytes = readFileSync(MULTI);
  const path = join(tmp, "multi-truncated.tar");
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2) + 100));
  const { page } = await web.openInspector(browser, server.base);
  const state = await web.inspectFile(page, path);
  assert.ok(state === "error" || state === "done-with-errors", state);
  assert.ok(await page.locator("#error").isVisible());
  assert.match((await page.locator("#error").textContent()) ?? "", /multi-truncated\.tar/);
  await page.close();
});

test.run();
