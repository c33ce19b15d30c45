// Runs test/portable/*.test.ts in headless Chromium: each file is bundled by esbuild for the
// browser (node:* and bun:* left external, so a test that reaches for them fails loudly),
// served on 127.0.0.1 with ../shared/fixtures at /fixtures/, and its uvu summary read from the
// console. Chromium is Debian's (/usr/bin/chromium), driven by playwright-core.
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, normalize, relative } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { parseUvuSummary } from "./uvu-summary.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FILE_TIMEOUT_MS = 5 * 60 * 1000;
const TYPES = { ".js": "text/javascript", ".html": "text/html", ".map": "application/json" };

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Serves `routes` (url prefix → directory) on 127.0.0.1; resolves with the server and its base URL. */
export function serveStatic(routes) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    for (const [prefix, dir] of Object.entries(routes)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = normalize(decodeURIComponent(url.pathname.slice(prefix.length)));
      if (rel.startsWith("..")) break;
      const file = join(dir, rel);
      if (!existsSync(file)) break;
      const ext = file.slice(file.lastIndexOf("."));
      res.writeHead(200, { "content-type": TYPES[ext] ?? "application/octet-stream" });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404).end("not found");
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` }));
  });
}

async function bundle(repo, files, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(files.map((f) => [basename(f, ".ts"), f])),
    outdir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    sourcemap: "inline",
    external: ["node:*", "bun:*"],
    logLevel: "error",
  });
}

function runPage(browser, base, name) {
  return new Promise(async (resolve) => {
    const page = await browser.newPage();
    let out = "";
    const finish = async (extra) => {
      clearTimeout(timer);
      out += extra ?? "";
      await page.close().catch(() => {});
      resolve(out);
    };
    const timer = setTimeout(() => finish(`\n[browser] timed out after ${FILE_TIMEOUT_MS / 1000}s\n`), FILE_TIMEOUT_MS);
    page.on("console", (msg) => {
      out += msg.text() + "\n";
      if (/Duration:/.test(msg.text())) finish();
    });
    page.on("pageerror", (err) => finish(`\n[browser] page error: ${err.message}\n`));
    const html = `<!doctype html><meta charset="utf-8"><script type="module" src="/bundles/${name}.js"></script>`;
    await page.route(`${base}/run/${name}.html`, (route) => route.fulfill({ contentType: "text/html", body: html }));
    await page.goto(`${base}/run/${name}.html`);
  });
}

/** Returns { passed, failed, skipped } over all files, printing one line per file. */
export async function runBrowserTests(repo, files) {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(CHROMIUM)) {
    console.log(`[browser] FAIL ${CHROMIUM} not found (apt-get install chromium)`);
    totals.failed += files.length;
    return totals;
  }
  const outdir = join(repo, ".tmp", "browser-tests");
  await bundle(repo, files, outdir);
  const { server, base } = await serveStatic({ "/bundles/": outdir, "/fixtures/": join(repo, "..", "shared", "fixtures") });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    for (const file of files) {
      const name = basename(file, ".ts");
      const out = await runPage(browser, base, name);
      const s = parseUvuSummary(out);
      const failed = s ? s.total - s.passed - s.skipped : 1;
      totals.passed += s?.passed ?? 0;
      totals.failed += failed;
      totals.skipped += s?.skipped ?? 0;
      console.log(`[browser] ${failed ? "FAIL" : "ok  "} ${relative(repo, file)}: ${s?.passed ?? 0} passed, ${failed} failed`);
      if (failed) console.log(out.replace(/^/gm, "    [browser] "));
    }
  } finally {
    await browser.close();
    server.close();
  }
  return totals;
}
