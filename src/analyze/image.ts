/**
 * An ImageReport from what the archive (or the store) said about an image and its layers' scans:
 * history steps mapped to layers, per-layer and merged trees, dive's efficiency.
 */
import type { ImageConfig } from "../image/image.ts";
import { diveEfficiency } from "./efficiency.ts";
import type { HistoryStep, ImageReport, LayerReport, Verified } from "./model.ts";
import { buildTrees } from "./tree.ts";

export interface ImageFacts {
  id: string;
  idVerified: Verified;
  tags: string[];
  manifestRaw?: string;
  configRaw: string;
  /** Undefined for a lone layer (no config). */
  config?: ImageConfig;
}

/** Steps that made a layer take the image's layers in order (empty_layer steps take none), as Docker and dive count them. */
export function historySteps(config: ImageConfig | undefined, layerCount: number): HistoryStep[] {
  let next = 0;
  return (config?.history ?? []).map((h) => {
    const step: HistoryStep = { createdBy: h.created_by ?? "", emptyLayer: h.empty_layer === true };
    if (h.created !== undefined) step.created = h.created;
    if (h.comment !== undefined) step.comment = h.comment;
    if (!step.emptyLayer && next < layerCount) step.layer = next++;
    return step;
  });
}

/** `layerIndexes` point into `layers` (the archive's layer list), bottom first. */
export function assembleImage(facts: ImageFacts, layerIndexes: number[], layers: readonly LayerReport[]): ImageReport {
  const entries = layerIndexes.map((i) => layers[i]!.entries);
  const { layerTrees, merged } = buildTrees(entries);
  const report: ImageReport = {
    id: facts.id,
    idVerified: facts.idVerified,
    tags: facts.tags,
    configRaw: facts.configRaw,
    layers: layerIndexes,
    history: historySteps(facts.config, layerIndexes.length),
    merged,
    layerTrees,
    efficiency: diveEfficiency(entries),
  };
  if (facts.manifestRaw !== undefined) report.manifestRaw = facts.manifestRaw;
  if (typeof facts.config?.os === "string") report.os = facts.config.os;
  if (typeof facts.config?.architecture === "string") report.architecture = facts.config.architecture;
  return report;
}
