/**
 * The inspector page: takes a file from the picker or a drop, hands it to the worker (which
 * reads it in slices and does all the hashing and parsing), shows progress, then the report.
 */
import type { ArchiveReport } from "../../src/analyze/model.ts";
import { formatBytes } from "./dom.ts";
import type { InspectRequest, WorkerMessage } from "./messages.ts";
import { renderReport } from "./report.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>("file");
const progress = $<HTMLProgressElement>("progress");
const status = $<HTMLElement>("status");
const errorBox = $<HTMLElement>("error");
const main = $<HTMLElement>("report");
const overlay = $<HTMLElement>("drop-overlay");

let worker: Worker | undefined;

function showError(text: string): void {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

function inspect(file: File): void {
  // One job at a time: a new file ends the old worker rather than queueing behind it.
  worker?.terminate();
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  errorBox.hidden = true;
  main.hidden = true;
  main.replaceChildren();
  document.body.dataset.state = "working";
  progress.hidden = false;
  progress.value = 0;
  status.textContent = `Reading ${file.name} (${formatBytes(file.size)})…`;
  const current = worker;
  current.onmessage = (event: MessageEvent<WorkerMessage>) => {
    const msg = event.data;
    if (msg.type === "progress") {
      progress.value = msg.total ? msg.done / msg.total : 0;
      status.textContent = `Reading ${file.name}: ${formatBytes(msg.done)} of ${formatBytes(msg.total)}`;
      return;
    }
    current.terminate();
    if (worker === current) worker = undefined;
    progress.hidden = true;
    if (msg.type === "error") return fail(file, msg.message);
    done(file, msg.report, msg.millis);
  };
  current.onerror = (event) => {
    event.preventDefault();
    current.terminate();
    progress.hidden = true;
    fail(file, event.message || "the worker stopped");
  };
  current.postMessage({ type: "inspect", file } satisfies InspectRequest);
}

function fail(file: File, message: string): void {
  document.body.dataset.state = "error";
  status.textContent = "";
  showError(`Could not read ${file.name}: ${message}\nIs it a docker-save archive, an OCI layout tar or a layer tar (.tar, .tar.gz, .tar.zst), complete and unmodified?`);
}

function done(file: File, report: ArchiveReport, millis: number): void {
  const broken = report.layers.filter((l) => l.error !== undefined || l.diffIDVerified === false || l.storedDigestVerified === false).length;
  const problems = [...report.errors];
  if (broken) problems.push(`${broken} layer(s) failed verification or could not be read to the end: see the marked rows under Layers.`);
  if (report.images.some((i) => i.idVerified === false)) problems.push("An image's config does not hash to its ID.");
  if (problems.length) showError(`Problems in ${file.name}:\n${problems.map((p) => `• ${p}`).join("\n")}`);
  status.textContent = `${file.name}: ${report.images.length} image(s), ${report.layers.length} layer(s) in ${(millis / 1000).toFixed(2)} s`;
  renderReport(report, main, millis);
  main.hidden = false;
  document.body.dataset.state = problems.length ? "done-with-errors" : "done";
}

fileInput.addEventListener("change", () => {
  const file = fileInput.files?.[0];
  if (file) inspect(file);
});

// Drag and drop anywhere on the page; the overlay only while something is dragged over.
let depth = 0;
document.addEventListener("dragenter", (e) => {
  if (!e.dataTransfer?.types.includes("Files")) return;
  depth++;
  overlay.hidden = false;
});
document.addEventListener("dragleave", () => {
  depth = Math.max(0, depth - 1);
  if (!depth) overlay.hidden = true;
});
document.addEventListener("dragover", (e) => e.preventDefault());
document.addEventListener("drop", (e) => {
  e.preventDefault();
  depth = 0;
  overlay.hidden = true;
  const file = e.dataTransfer?.files[0];
  if (file) inspect(file);
});
document.body.dataset.state = "idle";
