import { test } from "uvu";
import * as assert from "uvu/assert";
import { humanDuration, humanSize } from "../../src/format/units.ts";

test("humanSize prints like the Docker CLI (go-units, 3 significant digits, decimal)", () => {
  const cases: Array<[number, string]> = [
    [0, "0B"], [742, "742B"], [999, "999B"], [1000, "1kB"], [1050, "1.05kB"], [4_262_912, "4.26MB"],
    [1_996_800, "2MB"], [12_345_678_901, "12.3GB"], [999_500, "1e+03kB"], [100_000, "100kB"],
  ];
  for (const [bytes, text] of cases) assert.is(humanSize(bytes), text, String(bytes));
});

test("humanDuration follows go-units thresholds", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  const cases: Array<[number, string]> = [
    [500, "Less than a second"], [1 * s, "1 second"], [59 * s, "59 seconds"], [90 * s, "About a minute"],
    [59 * m, "59 minutes"], [70 * m, "About an hour"], [47 * h, "47 hours"], [3 * d, "3 days"],
    [15 * d, "2 weeks"], [70 * d, "2 months"], [800 * d, "2 years"],
  ];
  for (const [ms, text] of cases) assert.is(humanDuration(ms), text, String(ms));
});

test.run();
