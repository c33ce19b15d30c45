// `wharf analyze` output: dive's CI report (Analysis, Inefficient Files, Evaluation) in dive's
// wording and number formats, the layers' digest checks, and dive's CI rules with strict flag parsing.
import { WharfError } from "../src/errors.ts";
import type { EfficiencyReport, ImageReport, LayerReport } from "../src/analyze/model.ts";

/** go-humanize `Bytes`: SI units, "%.1f" below 10 and "%.0f" above, "N B" under 10 bytes. */
export function humanizeBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
  const e = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1000)));
  const value = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[e]}`;
}

export interface Rule {
  /** dive's rule key. */
  key: "lowestEfficiency" | "highestWastedBytes" | "highestUserWastedPercent";
  /** The value as given ("disabled" when off). */
  config: string;
  threshold?: number;
}

const DISABLED = new Set(["", "disabled", "off", "false"]);
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const BYTE_UNITS: Record<string, number> = {
  "": 1, b: 1, k: 1e3, kb: 1e3, ki: 1024, kib: 1024, m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3, t: 1e12, tb: 1e12, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** A fraction from 0 to 1 (dive: strconv.ParseFloat, range-checked), or a word that disables the rule. */
function ratioRule(key: Rule["key"], flag: string, value: string): Rule {
  const v = value.trim().toLowerCase();
  if (DISABLED.has(v)) return { key, config: "disabled" };
  const n = Number(v);
  if (!DECIMAL.test(v) || !(n >= 0 && n <= 1)) throw new WharfError("USAGE", `invalid --${flag} ${JSON.stringify(value)}: want a number from 0 to 1, or "disabled"`);
  return { key, config: value, threshold: n };
}

/** A byte count with an optional unit (dive: humanize.ParseBytes, e.g. "20MB", "1.5 GiB"), or a word that disables the rule. */
function bytesRule(value: string): Rule {
  const v = value.trim().toLowerCase();
  if (DISABLED.has(v)) return { key: "highestWastedBytes", config: "disabled" };
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(v);
  const unit = m ? BYTE_UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw new WharfError("USAGE", `invalid --highest-wasted-bytes ${JSON.stringify(value)}: want a byte count like 1000, 20MB or 1.5GiB, or "disabled"`);
  return { key: "highestWastedBytes", config: value, threshold: Math.floor(Number(m[1]) * unit) };
}

export function parseRules(args: { lowest: string; wasted: string; userPercent: string }): Rule[] {
  return [
    ratioRule("lowestEfficiency", "lowest-efficiency", args.lowest),
    bytesRule(args.wasted),
    ratioRule("highestUserWastedPercent", "highest-user-wasted-percent", args.userPercent),
  ];
}

export interface RuleResult {
  rule: string;
  status: "PASS" | "FAIL" | "SKIP";
  message: string;
}

const fmt2 = (n: number) => n.toFixed(2);

/** dive's rule evaluation: failures carry dive's messages, passes show the configured value. */
export function evaluateRules(rules: Rule[], e: EfficiencyReport): RuleResult[] {
  return rules.map((r): RuleResult => {
    if (r.threshold === undefined) return { rule: r.key, status: "SKIP", message: "disabled" };
    const t = r.threshold;
    let failure: string | undefined;
    if (r.key === "lowestEfficiency" && t > e.score) failure = `image efficiency is too low (efficiency=${fmt2(e.score)} < threshold=${t})`;
    if (r.key === "highestWastedBytes" && e.wastedBytes > t) failure = `too many bytes wasted (wasted-bytes=${e.wastedBytes} > threshold=${t})`;
    if (r.key === "highestUserWastedPercent" && e.userWastedPercent > t) {
      failure = `too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=${fmt2(e.userWastedPercent)} > threshold=${t})`;
    }
    return failure ? { rule: r.key, status: "FAIL", message: failure } : { rule: r.key, status: "PASS", message: r.config };
  }).sort((a, b) => (a.rule < b.rule ? -1 : 1)); // dive sorts rules by name
}

/** One line per failed check of a layer, empty when it is sound. */
export function layerProblems(layer: LayerReport): string[] {
  const out: string[] = [];
  if (layer.error) out.push(`layer ${layer.source}: ${layer.error}`);
  if (layer.diffIDVerified === false && layer.diffID) out.push(`layer ${layer.source}: diffID ${layer.diffID} does not match the config's ${layer.expectedDiffID}`);
  if (layer.storedDigestVerified === false && layer.storedDigest) out.push(`layer ${layer.source}: digest ${layer.storedDigest} does not match ${layer.expectedStoredDigest}`);
  return out;
}

const mark = (v: boolean | undefined) => (v === undefined ? "-" : v ? "ok" : "FAILED");
const TOP_PATHS = 20;

export function renderImage(image: ImageReport, layers: readonly LayerReport[], results: RuleResult[] | undefined): string {
  const e = image.efficiency;
  const out: string[] = [];
  const name = image.tags.length ? image.tags.join(", ") : image.id ? image.id : "(a single layer)";
  out.push(`Image: ${name}${image.id && image.tags.length ? ` (${image.id})` : ""}`);
  if (image.idVerified !== undefined) out.push(`  image ID:          ${mark(image.idVerified)}`);
  out.push("", "Layers:", `  ${"#".padEnd(3)}${"diffID".padEnd(8)}${"stored".padEnd(8)}${"size".padEnd(10)}source`);
  image.layers.forEach((li, pos) => {
    const l = layers[li]!;
    out.push(`  ${String(pos).padEnd(3)}${mark(l.diffIDVerified).padEnd(8)}${mark(l.storedDigestVerified).padEnd(8)}${humanizeBytes(l.tarSize).padEnd(10)}${l.source}`);
    for (const p of layerProblems(l)) out.push(`     ${p}`);
  });
  // dive's renderAnalysisSection.
  const wasted = e.wastedBytes > 0 ? `(${humanizeBytes(e.wastedBytes)})` : "";
  out.push(
    "",
    "Analysis:",
    `  ${"efficiency:".padEnd(18)} ${fmt2(e.score * 100)} %`,
    `  ${"wastedBytes:".padEnd(18)} ${e.wastedBytes} bytes ${wasted}`.trimEnd(),
    `  ${"userWastedPercent:".padEnd(18)} ${e.wastedBytes > 0 ? `${fmt2(e.userWastedPercent * 100)} %` : "0 %"}`,
    "",
  );
  if (e.inefficiencies.length === 0) out.push("Inefficient Files: (None)");
  else {
    out.push("Inefficient Files:", `  ${"Count".padEnd(5)}  ${"Wasted Space".padEnd(12)}  File Path`);
    for (const x of e.inefficiencies.slice(0, TOP_PATHS)) out.push(`  ${String(x.count).padEnd(5)}  ${humanizeBytes(x.cumulativeSize).padEnd(12)}  /${x.path}`);
    if (e.inefficiencies.length > TOP_PATHS) out.push(`  … ${e.inefficiencies.length - TOP_PATHS} more (--format json lists them all)`);
  }
  if (results) {
    out.push("", "Evaluation:");
    for (const r of results) out.push(`  ${r.status}  ${r.rule}${r.message ? ` (${r.message})` : ""}`);
    const count = (s: RuleResult["status"]) => results.filter((r) => r.status === s).length;
    const tally = [["pass", count("PASS")], ["fail", count("FAIL")], ["skip", count("SKIP")]].filter(([, n]) => n).map(([k, n]) => `${k}:${n}`).join(" ");
    out.push("", `${count("FAIL") > 0 ? "FAIL" : "PASS"} [${tally}]`);
  }
  return out.join("\n") + "\n";
}

/** `--format json`: the efficiency report and each layer's digests and checks (null: nothing to check against). */
export function imageJSON(image: ImageReport, layers: readonly LayerReport[], results: RuleResult[] | undefined): unknown {
  return {
    id: image.id,
    idVerified: image.idVerified ?? null,
    tags: image.tags,
    efficiency: image.efficiency,
    layers: image.layers.map((li) => {
      const l = layers[li]!;
      return {
        source: l.source, compression: l.compression, storedSize: l.storedSize, tarSize: l.tarSize, entries: l.entries.length,
        diffID: l.diffID, expectedDiffID: l.expectedDiffID ?? null, diffIDVerified: l.diffIDVerified ?? null,
        storedDigest: l.storedDigest, expectedStoredDigest: l.expectedStoredDigest ?? null, storedDigestVerified: l.storedDigestVerified ?? null,
        error: l.error ?? null,
      };
    }),
    ...(results ? { ci: { pass: !results.some((r) => r.status === "FAIL"), rules: results } } : {}),
  };
}
