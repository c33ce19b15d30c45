/**
 * The web inspector (web/) in headless Chromium indexing load.ts's ~250 MB archive (3 layers,
 * one with 20 000 small files): wall time from setInputFiles to the report shown, and peak JS
 * heap of the page (CDP Performance.getMetrics JSHeapUsedSize) and of the inspector's Web Worker
 * (CDP Runtime.getHeapUsage on the worker target, reached through a browser-level session),
 * sampled every 25 ms. Baseline: `tar -t -f` of the same file. Targets: < 5 s, and < 150 MB for
 * page + worker peaks summed. Node only (playwright-core).
 */
import { getRuntime } from "../src/runtime/index.ts";

const runtime = await getRuntime();
if (runtime.name !== "node") {
  console.log(`web-inspector (${runtime.name}): skipped: playwright-core drives Chromium from Node only`);
  process.exit(0);
}

const { spawnSync } = await import("node:child_process");
const { statSync } = await import("node:fs");
const { ARCHIVE, ensureImageData, timed } = await import("./_image-data.ts");
const web = await import("../test/support/web-inspector.ts");
type Page = Awaited<ReturnType<typeof web.openInspector>>["page"];
type Browser = Awaited<ReturnType<typeof web.launchChromium>>;
type CDPSession = Awaited<ReturnType<Browser["newBrowserCDPSession"]>>;

const TIME_TARGET_S = 5;
const HEAP_TARGET_MB = 150;
const RUNS = 3;
const SAMPLE_MS = 25;
const MB = 1024 * 1024;

/** Runtime.getHeapUsage on every worker target, over the (old, non-flat) Target message channel. */
class WorkerHeaps {
  private nextId = 1;
  private pending = new Map<number, (usedSize: number) => void>();
  private sessions = new Set<string>();
  // One session per worker: every extra session is inspector state inside the worker, which would inflate what is measured.
  private attached = new Set<string>();
  constructor(private readonly cdp: CDPSession) {
    cdp.on("Target.receivedMessageFromTarget", (e: { message: string }) => {
      const msg = JSON.parse(e.message) as { id?: number; result?: { usedSize?: number } };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg.result?.usedSize ?? 0);
      if (msg.id !== undefined) this.pending.delete(msg.id);
    });
  }
  /** Attaches to worker targets not yet attached. */
  async attach(): Promise<void> {
    const { targetInfos } = (await this.cdp.send("Target.getTargets")) as { targetInfos: { targetId: string; type: string; attached: boolean }[] };
    for (const t of targetInfos) {
      if (t.type !== "worker" || this.attached.has(t.targetId)) continue;
      this.attached.add(t.targetId);
      try {
        const { sessionId } = (await this.cdp.send("Target.attachToTarget", { targetId: t.targetId, flatten: false })) as { sessionId: string };
        this.sessions.add(sessionId);
      } catch {
        // gone already, or attached: sampled through the session we have
      }
    }
  }
  /** Sum of used heap over attached workers (a worker that ended reports nothing). */
  async used(): Promise<number> {
    let sum = 0;
    await Promise.all([...this.sessions].map(async (sessionId) => {
      const id = this.nextId++;
      const got = new Promise<number>((resolve) => {
        this.pending.set(id, resolve);
        setTimeout(() => resolve(0), 200);
      });
      try {
        await this.cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method: "Runtime.getHeapUsage" }) });
      } catch {
        this.sessions.delete(sessionId);
        return;
      }
      sum += await got;
    }));
    return sum;
  }
}

async function pageHeap(cdp: CDPSession): Promise<number> {
  const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
  return metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0;
}

interface Run { seconds: number; pagePeak: number; workerPeak: number; sumPeak: number; state: string }

async function oneRun(browser: Browser, base: string): Promise<Run> {
  const { page } = await web.openInspector(browser, base);
  const pageCdp = await page.context().newCDPSession(page);
  await pageCdp.send("Performance.enable");
  await pageCdp.send("HeapProfiler.collectGarbage");
  const workers = new WorkerHeaps(await browser.newBrowserCDPSession());
  let pagePeak = 0, workerPeak = 0, sumPeak = 0, sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await workers.attach();
      const [p, w] = await Promise.all([pageHeap(pageCdp), workers.used()]);
      pagePeak = Math.max(pagePeak, p);
      workerPeak = Math.max(workerPeak, w);
      sumPeak = Math.max(sumPeak, p + w);
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  })();
  const { seconds, value: state } = await timed(() => web.inspectFile(page as Page, ARCHIVE, 300_000));
  // One more sample with the report rendered (the page's peak is usually now).
  await new Promise((r) => setTimeout(r, 2 * SAMPLE_MS));
  sampling = false;
  await sampler;
  if (state !== "done") console.log(`  page ended in state ${state}: ${await page.locator("#error").textContent()}`);
  await page.close();
  return { seconds, pagePeak, workerPeak, sumPeak, state };
}

await ensureImageData();
const dist = web.buildWebDist();
const server = await web.serveDir(dist);
const browser = await web.launchChromium();
try {
  const tarT = async () => (await timed(async () => {
    const r = spawnSync("tar", ["-t", "-f", ARCHIVE], { stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`tar -t exited ${r.status}`);
  })).seconds;
  await oneRun(browser, server.base); // warm-up: page cache and Chromium's code caches alike for every run
  const runs: Run[] = [];
  const floors: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    floors.push(await tarT());
    runs.push(await oneRun(browser, server.base));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const wall = median(runs.map((r) => r.seconds));
  const floor = median(floors);
  const pagePeak = Math.max(...runs.map((r) => r.pagePeak)) / MB;
  const workerPeak = Math.max(...runs.map((r) => r.workerPeak)) / MB;
  const sumPeak = Math.max(...runs.map((r) => r.sumPeak)) / MB;
  const ok = runs.every((r) => r.state === "done");
  console.log(`web-inspector heap peaks per run (page/worker MB): ${runs.map((r) => `${(r.pagePeak / MB).toFixed(0)}/${(r.workerPeak / MB).toFixed(0)}`).join(", ")}`);
  console.log(`web-inspector runs (chromium, ${(statSync(ARCHIVE).size / 1e6).toFixed(0)} MB, 3 layers, 20 000+ files): page ${runs.map((r) => r.seconds.toFixed(2)).join(", ")}s; tar -t ${floors.map((s) => s.toFixed(3)).join(", ")}s`);
  const timeOk = ok && wall < TIME_TARGET_S;
  const heapOk = sumPeak < HEAP_TARGET_MB;
  console.log(`web-inspector time: ${wall.toFixed(2)}s (target < ${TIME_TARGET_S}s) ${timeOk ? "PASS" : "FAIL"}`);
  console.log(`web-inspector heap: peak page ${pagePeak.toFixed(1)} MB, worker ${workerPeak.toFixed(1)} MB, page+worker ${sumPeak.toFixed(1)} MB (target < ${HEAP_TARGET_MB} MB) ${heapOk ? "PASS" : "FAIL"}`);
  // One line with everything, as scripts/bench.mjs collects the lines that name a ratio.
  console.log(`web-inspector (chromium): wharf ${wall.toFixed(2)}s, tar -t ${floor.toFixed(3)}s, ratio ${(wall / floor).toFixed(1)}x (tar -t reads headers only); time < ${TIME_TARGET_S}s ${timeOk ? "PASS" : "FAIL"}, heap ${sumPeak.toFixed(1)} MB < ${HEAP_TARGET_MB} MB ${heapOk ? "PASS" : "FAIL"}`);
} finally {
  await browser.close();
  await server.close();
}
