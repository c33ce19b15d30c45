// Parses the summary block uvu prints at the end of a run (Total/Passed/Skipped).
// ANSI colour codes are stripped first; the last block wins when a file prints several.
const ANSI = /\x1b\[[0-9;]*m/g;

export function parseUvuSummary(output) {
  const text = output.replace(ANSI, "");
  const grab = (label) => {
    const all = [...text.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, "gm"))];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const total = grab("Total");
  const passed = grab("Passed");
  if (total === undefined || passed === undefined) return null;
  return { total, passed, skipped: grab("Skipped") ?? 0 };
}
