/**
 * Drives the web inspector (web/) in headless Chromium for test/web-inspector.test.ts and
 * bench/web-inspector.ts: builds web/dist, serves it on 127.0.0.1, opens an archive through the
 * file input and waits for the report. Node only (playwright-core); callers import it lazily.
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// As CHROMIUM_ARGS in scripts/lib/browser-tests.mjs (a .mjs without types, so not imported).
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".map": "application/json",
};

/** `npm run web:build`, i.e. scripts/build-web.mjs; returns web/dist. */
export function buildWebDist(): string {
  const r = spawnSync(process.execPath, [join(REPO, "scripts", "build-web.mjs")], { cwd: REPO, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`web build failed (${r.status}): ${r.stderr}${r.stdout}`);
  return join(REPO, "web", "dist");
}

/** Serves `dir` on 127.0.0.1 at a free port. */
export async function serveDir(dir: string): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const rel = normalize(decodeURIComponent(path === "/" ? "/index.html" : path)).replace(/^\/+/, "");
    const file = join(dir, rel);
    if (rel.startsWith("..") || !existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Opens the page, with every request that is not to `base` recorded (the page must make none). */
export async function openInspector(browser: Browser, base: string): Promise<{ page: Page; foreign: string[]; pageErrors: string[] }> {
  const page = await browser.newPage();
  const foreign: string[] = [];
  const pageErrors: string[] = [];
  page.on("request", (req) => { if (!req.url().startsWith(base)) foreign.push(req.url()); });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(base);
  return { page, foreign, pageErrors };
}

/** Sets the file input and waits until the report or an error is shown; returns the end state. */
export async function inspectFile(page: Page, path: string, timeoutMs = 120_000): Promise<string> {
  // Reset first, so a previous run's "done" cannot satisfy the wait below.
  await page.evaluate(() => { document.body.dataset.state = "idle"; });
  await page.setInputFiles("#file", path);
  await page.waitForFunction(() => /^(done|error)/.test(document.body.dataset.state ?? ""), undefined, { timeout: timeoutMs, polling: 20 });
  return page.evaluate(() => document.body.dataset.state ?? "");
}
