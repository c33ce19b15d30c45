/**
 * Human-readable sizes and durations exactly as the Docker CLI prints them (go-units
 * `HumanSizeWithPrecision(size, 3)` with decimal units, and `HumanDuration`).
 */

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** `4.26MB`, `742B`, `1.05kB`: three significant digits, decimal (1000-based) units. */
export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${formatG3(size)}${DECIMAL_UNITS[unit]}`;
}

/** Go's `%.3g`: three significant digits, trailing zeros dropped, exponent form `1e+03` when rounding reaches it. */
function formatG3(value: number): string {
  if (value === 0) return "0";
  const text = value.toPrecision(3);
  const stripZeros = (s: string) => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
  const exp = text.indexOf("e");
  if (exp < 0) return stripZeros(text);
  const power = Number(text.slice(exp + 1));
  return `${stripZeros(text.slice(0, exp))}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
}

/** `HumanDuration`: "Less than a second", "About a minute", "3 hours", "2 weeks", "5 years". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000); // Go: d.Round(time.Hour)
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "2 weeks ago", as `docker images` prints CREATED. */
export function timeAgo(createdMs: number, nowMs: number): string {
  return `${humanDuration(nowMs - createdMs)} ago`;
}
