import { defineCommand } from "citty";
import { WharfError } from "../src/errors.ts";
import { archiveBytesFromFile, inspectArchive } from "../src/analyze/inspect.ts";
import { inspectStoredImage } from "../src/analyze/stored.ts";
import type { ArchiveReport } from "../src/analyze/model.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { evaluateRules, imageJSON, layerProblems, parseRules, renderImage, type RuleResult } from "./analyze-report.ts";

/** An argument that can only mean a file: a path, or a name with an archive's extension. */
const looksLikePath = (arg: string) => /^(\.{0,2}\/|~)/.test(arg) || /\.(tar|tgz|gz|zst|tzst)$/.test(arg);

export default defineCommand({
  meta: { name: "analyze", description: "Layer efficiency (dive's figures) and digest checks of an image or an archive (docker-save, OCI layout tar, or one layer)" },
  args: {
    target: { type: "positional", required: true, description: "Image name or ID in the store, or an archive file" },
    ci: { type: "boolean", description: "Evaluate dive's CI rules; exit 1 when one fails" },
    "lowest-efficiency": { type: "string", default: "0.9", description: "CI: lowest allowed efficiency, 0 to 1, or disabled" },
    "highest-wasted-bytes": { type: "string", default: "disabled", description: "CI: highest allowed wasted bytes (e.g. 20MB), or disabled" },
    "highest-user-wasted-percent": { type: "string", default: "0.1", description: "CI: highest allowed share of wasted bytes in the user layers, 0 to 1, or disabled" },
    format: { type: "string", description: "Output format: text (default) or json" },
  },
  async run({ args }) {
    const format = args.format ?? "text";
    if (format !== "text" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want text or json)`);
    const rules = parseRules({ lowest: args["lowest-efficiency"], wasted: args["highest-wasted-bytes"], userPercent: args["highest-user-wasted-percent"] });
    const ctx = await cliContext();
    const { runtime } = ctx;
    const target = args.target;
    const files = runtime.files;
    if (!files) throw new WharfError("UNSUPPORTED", `${runtime.name} has no file system`);

    const info = await files.stat(target);
    let report: Omit<ArchiveReport, "kind"> & { kind?: string };
    if (info?.kind === "dir") throw new WharfError("INVALID_ARGUMENT", `${target}: is a directory, not an archive file`);
    if (info) {
      const bytes = await archiveBytesFromFile(files, target);
      try {
        report = await inspectArchive(bytes, runtime);
      } finally {
        await bytes.close();
      }
    } else if (looksLikePath(target)) {
      throw new WharfError("NOT_FOUND", `open ${target}: no such file`);
    } else {
      report = await withStore(ctx, (store) => inspectStoredImage(store, runtime, target));
    }
    if (report.images.length === 0) {
      throw new WharfError("INVALID_ARCHIVE", `${target}: ${report.errors[0] ?? "no image in the archive"}`);
    }

    let ciFailed = false;
    const perImage = report.images.map((image) => {
      const results: RuleResult[] | undefined = args.ci ? evaluateRules(rules, image.efficiency) : undefined;
      if (results?.some((r) => r.status === "FAIL")) ciFailed = true;
      return { image, results };
    });
    if (format === "json") {
      await ctx.out(JSON.stringify({
        source: report.label,
        kind: report.kind ?? "store",
        errors: report.errors,
        images: perImage.map(({ image, results }) => imageJSON(image, report.layers, results)),
      }, null, 2) + "\n");
    } else {
      await ctx.out(perImage.map(({ image, results }) => renderImage(image, report.layers, results)).join("\n"));
    }

    // Damage is reported after the report, as one line; it fails the command.
    const problems = [
      ...report.errors,
      ...report.images.filter((i) => i.idVerified === false).map((i) => `image config does not hash to ${i.id}`),
      ...report.layers.flatMap(layerProblems),
    ];
    if (problems.length > 0) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : "";
      throw new WharfError("INVALID_ARCHIVE", `${target}: ${problems[0]}${more}`);
    }
    if (ciFailed) runtime.env!.exit(1);
  },
});
