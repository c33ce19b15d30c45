/**
 * Inspecting an image archive without loading it: a docker-save archive (legacy or Docker ≥ 25),
 * an OCI image layout tar, or a single layer (.tar, .tar.gz, .tar.zst, told apart by magic
 * bytes). The archive is read by ranges: its tar headers are indexed once (seeking over bodies),
 * then each layer member is streamed once through digests, decompression and the tar reader.
 * Runs unchanged in a browser Web Worker over a Blob.
 */
import { detectCompression, MAGIC_PEEK_SIZE } from "../compress/index.ts";
import { digestOf } from "../hash/digest.ts";
import { parseImageConfig } from "../image/config.ts";
import type { ImageConfig } from "../image/image.ts";
import { TarFileArchive } from "../tarexport/archive.ts";
import { rangeStream } from "./bytes.ts";
import { assembleImage, type ImageFacts } from "./image.ts";
import { missingLayer, scanLayer, type AnalyzeDeps } from "./layer-scan.ts";
import type { ArchiveBytes, ArchiveReport, InspectOptions, LayerReport } from "./model.ts";
import { message, planDockerSave, planOCILayout, type PlannedImage } from "./plan.ts";

export { archiveBytesFromBlob, archiveBytesFromBytes, archiveBytesFromFile } from "./bytes.ts";
export type { AnalyzeDeps } from "./layer-scan.ts";

const decoder = new TextDecoder();

/** Progress over the bytes read from the archive (headers skipped over count once done). */
function progressOf(bytes: ArchiveBytes, options: InspectOptions): (n: number) => void {
  let done = 0;
  return (n) => {
    done = Math.min(bytes.size, done + n);
    options.onProgress?.(done, bytes.size);
  };
}

/** A lone layer: one image without a config (id ""), so trees and efficiency read the same. */
async function inspectLoneLayer(bytes: ArchiveBytes, deps: AnalyzeDeps, report: ArchiveReport, progress: (n: number) => void): Promise<void> {
  const layer = await scanLayer(rangeStream(bytes, 0, bytes.size, progress), bytes.label, bytes.size, deps);
  report.layers.push(layer);
  const facts: ImageFacts = { id: "", idVerified: undefined, tags: [], configRaw: "" };
  report.images.push(assembleImage(facts, [0], report.layers));
}

export async function inspectArchive(bytes: ArchiveBytes, deps: AnalyzeDeps, options: InspectOptions = {}): Promise<ArchiveReport> {
  const report: ArchiveReport = { label: bytes.label, kind: "layer", images: [], layers: [], errors: [] };
  const progress = progressOf(bytes, options);
  if (bytes.size === 0) {
    report.errors.push(`${bytes.label}: empty file, not an archive`);
    return report;
  }
  const head = await bytes.read(0, MAGIC_PEEK_SIZE);
  const compression = detectCompression(head);
  if (compression !== "none") {
    await inspectLoneLayer(bytes, deps, report, progress);
    return report;
  }
  let archive: TarFileArchive;
  try {
    archive = await TarFileArchive.indexBytes(bytes, bytes.label);
  } catch (e) {
    report.errors.push(message(e));
    return report;
  }
  let plans: PlannedImage[];
  if (await archive.exists("manifest.json")) {
    report.kind = "docker-save";
    plans = await planDockerSave(archive, report.errors);
  } else if (await archive.exists("index.json")) {
    report.kind = "oci-layout";
    plans = await planOCILayout(archive, deps.digests, report.errors);
  } else {
    await inspectLoneLayer(bytes, deps, report, progress);
    return report;
  }
  // Members that are not layers (configs, manifests) count as read for progress.
  const layerPaths = new Set(plans.flatMap((p) => p.layers.map((l) => l.path)));
  progress(archive.regions().filter((r) => !layerPaths.has(r.path)).reduce((n, r) => n + r.size, 0));

  const layerIndex = new Map<string, number>(); // by resolved member path: a layer shared by images is read once
  for (const plan of plans) {
    let config: ImageConfig | undefined;
    const configRaw = decoder.decode(plan.configRaw);
    try {
      config = parseImageConfig(plan.configRaw, "image config");
    } catch (e) {
      report.errors.push(message(e));
    }
    const diffIDs = config?.rootfs.diff_ids ?? [];
    if (config && diffIDs.length !== plan.layers.length) {
      report.errors.push(`image config lists ${diffIDs.length} diff_ids for ${plan.layers.length} layers`);
    }
    const indexes: number[] = [];
    for (const [i, planned] of plan.layers.entries()) {
      const expect = { expectedDiffID: diffIDs[i], expectedStoredDigest: planned.expectedStoredDigest };
      const region = await archive.region(planned.path);
      const key = region?.path ?? `missing:${planned.path}`;
      let at = layerIndex.get(key);
      if (at === undefined) {
        const layer: LayerReport = region
          ? await scanLayer(rangeStream(bytes, region.offset, region.size, progress), planned.path, region.size, deps, expect)
          : missingLayer(planned.path, `layer ${JSON.stringify(planned.path)} not found in the archive`, expect);
        at = report.layers.push(layer) - 1;
        layerIndex.set(key, at);
      }
      indexes.push(at);
    }
    const id = digestOf(deps.digests, plan.configRaw);
    const facts: ImageFacts = { id, idVerified: plan.expectedID === undefined ? undefined : plan.expectedID === id, tags: plan.tags, configRaw };
    if (plan.manifestRaw !== undefined) facts.manifestRaw = plan.manifestRaw;
    if (config) facts.config = config;
    report.images.push(assembleImage(facts, indexes, report.layers));
  }
  options.onProgress?.(bytes.size, bytes.size);
  return report;
}
