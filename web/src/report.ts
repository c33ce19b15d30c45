/** Renders an ArchiveReport: images (tags, IDs, manifest, config, history, efficiency), layers, trees. */
import type { ArchiveReport, ImageReport, LayerReport, TreeNode } from "../../src/analyze/model.ts";
import { digestCell, formatBytes, h, mark, prettyJson, shortId, verifiedAttr } from "./dom.ts";
import { TreeView, type TreeSource } from "./tree.ts";

const WASTE_ROWS = 50;

export function renderReport(report: ArchiveReport, main: HTMLElement, millis: number): void {
  const trees = h("section", { id: "trees" });
  const select = h("select", { id: "tree-select", "aria-label": "tree to show" });
  const search = h("input", { id: "search", type: "search", placeholder: "search paths…", autocomplete: "off" });
  const treeStatus = h("span", { class: "hint", id: "tree-status" });
  const treeBox = h("div", { class: "tree", id: "tree", role: "tree" });
  const view = new TreeView(treeBox, treeStatus, search);
  const sources = new Map<string, TreeSource>();
  const showTree = (key: string) => {
    select.value = key;
    const src = sources.get(key);
    if (src) view.show(src);
  };
  select.addEventListener("change", () => showTree(select.value));

  main.replaceChildren(
    h("h2", {}, "Archive"),
    h("dl", { class: "kv" },
      h("dt", {}, "file"), h("dd", {}, report.label),
      h("dt", {}, "kind"), h("dd", {}, report.kind),
      h("dt", {}, "contents"), h("dd", {}, `${report.images.length} image(s), ${report.layers.length} layer(s)`),
      h("dt", {}, "inspected in"), h("dd", {}, `${(millis / 1000).toFixed(2)} s`)),
  );
  report.images.forEach((image, i) => main.append(renderImage(report, image, i)));
  if (report.layers.length) {
    main.append(renderLayers(report, (key) => {
      showTree(key);
      trees.scrollIntoView({ behavior: "smooth" });
    }));
  }

  report.images.forEach((image, i) => {
    const name = image.tags[0] ?? (image.id ? shortId(image.id) : "layer");
    // A lone layer's merged tree would hide its whiteouts; its own tree says more.
    if (image.id !== "" || !image.layerTrees?.length) {
      sources.set(`${i}:merged`, { root: image.merged, isOpaque: mergedOpaque(report, image) });
      select.append(h("option", { value: `${i}:merged` }, `${name}: merged image`));
    }
    image.layers.forEach((layerIndex, pos) => {
      const tree = image.layerTrees?.[pos];
      if (!tree) return;
      const opaque = opaquePaths(report.layers[layerIndex]!);
      sources.set(`${i}:${pos}`, { root: tree, isOpaque: (n) => n.entry?.opaque === true || opaque.has(n.path) });
      select.append(h("option", { value: `${i}:${pos}` }, `${name}: layer ${pos} (${shortId(report.layers[layerIndex]!.diffID)})`));
    });
  });
  if (sources.size) {
    trees.append(
      h("h2", {}, "Files"),
      h("div", { class: "tree-tools" }, select, search, treeStatus),
      h("p", { class: "hint" }, "Click a directory to expand it. Marks: added, changed, deleted (whiteout), opaque (lower contents hidden)."),
      treeBox,
    );
    main.append(trees);
    showTree(sources.keys().next().value!);
  }
}

function renderImage(report: ArchiveReport, image: ImageReport, index: number): HTMLElement {
  // A lone layer comes as an image without a config (id ""): there is no ID to show or check.
  const lone = image.id === "";
  const title = lone ? "A single layer (no image config)" : `Image: ${image.tags.length ? image.tags.join(", ") : `untagged ${shortId(image.id)}`}`;
  const section = h("section", { "data-testid": "image", "data-image": index, "data-id-verified": verifiedAttr(image.idVerified) },
    h("h2", {}, title),
    lone ? null : h("dl", { class: "kv" },
      h("dt", {}, "ID"), h("dd", { class: "digest" }, mark(image.idVerified, "image ID"), image.id),
      h("dt", {}, "tags"), h("dd", {}, ...(image.tags.length ? image.tags.map((t) => h("span", { class: "tag" }, t)) : ["<none>"])),
      h("dt", {}, "platform"), h("dd", {}, [image.os, image.architecture].filter(Boolean).join("/") || "—"),
      h("dt", {}, "layers"), h("dd", {}, String(image.layers.length))),
  );
  if (image.manifestRaw !== undefined) section.append(h("details", {}, h("summary", {}, "Manifest"), h("pre", { class: "manifest" }, prettyJson(image.manifestRaw))));
  if (lone) {
    section.append(renderEfficiency(image));
    return section;
  }
  section.append(
    h("details", { open: "" }, h("summary", {}, "Config"), h("pre", { class: "config" }, prettyJson(image.configRaw))),
    h("details", {}, h("summary", {}, "Raw config (the image ID is the sha256 of exactly these bytes)"), h("pre", { class: "config-raw", "data-testid": "config-raw" }, image.configRaw)),
    renderHistory(report, image),
    renderEfficiency(image),
  );
  return section;
}

function renderHistory(report: ArchiveReport, image: ImageReport): HTMLElement {
  const rows = image.history.map((step, i) => {
    const layerIndex = step.layer === undefined ? undefined : image.layers[step.layer];
    const layer = layerIndex === undefined ? undefined : report.layers[layerIndex];
    return h("tr", { "data-testid": "history", "data-empty-layer": String(step.emptyLayer) },
      h("td", { class: "num" }, i),
      h("td", {}, step.created ?? ""),
      h("td", { class: "mono" }, step.createdBy || step.comment || ""),
      step.emptyLayer || !layer
        ? h("td", { class: "empty-step" }, "empty layer")
        : h("td", { class: "digest" }, `layer ${step.layer} · ${shortId(layer.diffID)} · ${formatBytes(layer.tarSize)}`));
  });
  return h("div", {}, h("h3", {}, "History"),
    rows.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), h("th", {}, "created"), h("th", {}, "created by"), h("th", {}, "layer"))), h("tbody", {}, ...rows))
      : h("p", { class: "hint" }, "No history in the config."));
}

function renderEfficiency(image: ImageReport): HTMLElement {
  const e = image.efficiency;
  const rows = e.inefficiencies.slice(0, WASTE_ROWS).map((w) =>
    h("tr", {}, h("td", { class: "num" }, w.count), h("td", { class: "num" }, formatBytes(w.cumulativeSize)), h("td", { class: "mono" }, w.path)));
  return h("div", { "data-testid": "efficiency" },
    h("h3", {}, "Efficiency (dive)"),
    h("dl", { class: "kv" },
      h("dt", {}, "score"), h("dd", { class: "score", "data-testid": "score" }, `${(e.score * 100).toFixed(1)} %`),
      h("dt", {}, "wasted space"), h("dd", {}, formatBytes(e.wastedBytes)),
      h("dt", {}, "user wasted"), h("dd", {}, `${(e.userWastedPercent * 100).toFixed(1)} % of ${formatBytes(e.userSizeBytes)} above the base layer`),
      h("dt", {}, "image size"), h("dd", {}, formatBytes(e.totalSizeBytes))),
    rows.length
      ? h("table", {}, h("thead", {}, h("tr", {}, h("th", { class: "num" }, "count"), h("th", { class: "num" }, "total space"), h("th", {}, "path"))), h("tbody", {}, ...rows))
      : h("p", { class: "hint" }, "No path is in more than one layer."),
    e.inefficiencies.length > WASTE_ROWS ? h("p", { class: "hint" }, `${e.inefficiencies.length - WASTE_ROWS} more not shown.`) : null);
}

function renderLayers(report: ArchiveReport, openTree: (key: string) => void): HTMLElement {
  // Which image position a layer has, for its tree (the first image that uses it).
  const treeKey = new Map<number, string>();
  report.images.forEach((img, i) => img.layers.forEach((l, pos) => { if (img.layerTrees?.[pos] && !treeKey.has(l)) treeKey.set(l, `${i}:${pos}`); }));
  const rows = report.layers.map((layer, i) => {
    const failed = layer.error !== undefined || layer.diffIDVerified === false || layer.storedDigestVerified === false;
    const key = treeKey.get(i);
    const files = layer.entries.filter((e) => !e.whiteout && !e.opaque).length;
    const button = key ? h("button", { type: "button" }, "files") : null;
    button?.addEventListener("click", () => openTree(key!));
    return h("tr", {
      "data-testid": "layer", "data-index": i, "data-source": layer.source, class: failed ? "failed" : undefined,
      "data-diffid-verified": verifiedAttr(layer.diffIDVerified),
      "data-stored-verified": verifiedAttr(layer.storedDigestVerified),
      "data-error": layer.error,
    },
      h("td", { class: "num" }, i),
      h("td", { class: "mono" }, layer.source, layer.error ? h("div", { class: "layer-error", "data-testid": "layer-error" }, `✗ ${layer.error}`) : null),
      h("td", {}, layer.compression),
      h("td", { class: "num" }, formatBytes(layer.storedSize)),
      h("td", { class: "num" }, formatBytes(layer.tarSize)),
      digestCell(layer.diffID, layer.expectedDiffID, layer.diffIDVerified, "diffID"),
      digestCell(layer.storedDigest, layer.expectedStoredDigest, layer.storedDigestVerified, "stored digest"),
      h("td", { class: "num" }, files),
      h("td", {}, button));
  });
  return h("section", { id: "layers" }, h("h2", {}, "Layers"),
    h("p", { class: "hint" }, "✓ verified · ✗ failed · – nothing to check against"),
    h("table", {},
      h("thead", {}, h("tr", {}, ...["#", "source", "compression", "stored", "tar", "diffID (sha256 of the tar)", "stored digest", "entries", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...rows)));
}

function opaquePaths(layer: LayerReport): Set<string> {
  return new Set(layer.entries.filter((e) => e.opaque).map((e) => e.path));
}

/** In the merged tree a directory is opaque when the layer that last set it made it so. */
function mergedOpaque(report: ArchiveReport, image: ImageReport): (n: TreeNode) => boolean {
  const perLayer = image.layers.map((l) => opaquePaths(report.layers[l]!));
  return (n) => n.entry?.opaque === true || (n.layer !== undefined ? perLayer[n.layer]?.has(n.path) === true : perLayer.some((s) => s.has(n.path)));
}
