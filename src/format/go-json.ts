/**
 * The few pieces of Go's encoding/json and time formatting that archives must reproduce byte
 * for byte: string quoting (HTML-safe, as json.Marshal does by default) and time.Time's
 * RFC3339Nano form.
 */
import { WharfError } from "../errors.ts";

const HEX = "0123456789abcdef";
/** Strings goQuote passes through unchanged (no quote, backslash, control, HTML or line-separator char, no surrogate). */
const NOTHING_TO_ESCAPE = /^[^"\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]*$/;

/** Go's json string encoding: `<`, `>`, `&`, U+2028/2029 escaped; control chars as \u00XX except \n \r \t. */
export function goQuote(s: string): string {
  if (NOTHING_TO_ESCAPE.test(s)) return `"${s}"`; // most names: no string built a char at a time
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) out += "\\u00" + HEX[c >> 4] + HEX[c & 15];
    else if (c === 0x2028 || c === 0x2029) out += c === 0x2028 ? "\\u2028" : "\\u2029";
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s[i]! + s[i + 1]!;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += "\ufffd"; // invalid UTF-8 became U+FFFD in Go
    else out += s[i]!;
  }
  return out + '"';
}

/** Go's json encoding of a value parsed from JSON: object keys in their given order (for RawMessage). */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goValue).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${goQuote(k)}:${goValue(v)}`).join(",")}}`;
}

/**
 * json.MarshalIndent(v, "", indent) of a value parsed from JSON: the Docker CLI's `inspect`
 * output (4 spaces), HTML-safe like the API's encoder; key order as given.
 */
export function goIndent(value: unknown, indent = "    ", depth = 0): string {
  if (value === null || value === undefined || typeof value !== "object") return goValue(value);
  const pad = indent.repeat(depth + 1);
  const end = indent.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => pad + goIndent(v, indent, depth + 1)).join(",\n")}\n${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${pad}${goQuote(k)}: ${goIndent(v, indent, depth + 1)}`).join(",\n")}\n${end}}`;
}

/** An object encoded as a Go map: keys sorted bytewise. */
export function goMap(entries: Array<[string, string]>): string {
  const sorted = [...entries].sort((a, b) => compareUtf8(a[0], b[0]));
  return `{${sorted.map(([k, raw]) => `${goQuote(k)}:${raw}`).join(",")}}`;
}

const encoder = new TextEncoder();
export function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** A parsed time.Time: seconds since the epoch, nanoseconds, and the zone offset in seconds. */
export interface GoTime {
  seconds: number;
  nanos: number;
  offset: number;
}

export const ZERO_TIME_TEXT = "0001-01-01T00:00:00Z";

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** Parses a JSON time as Go's time.Time.UnmarshalJSON does (RFC 3339, fraction optional). */
export function parseGoTime(text: string, what: string): GoTime {
  const m = RFC3339.exec(text);
  if (!m) throw new WharfError("INVALID_ARGUMENT", `${what}: cannot parse ${JSON.stringify(text)} as an RFC 3339 time`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offset = zone === "Z" ? 0 : (zone!.startsWith("-") ? -1 : 1) * (Number(zone!.slice(1, 3)) * 3600 + Number(zone!.slice(4, 6)) * 60);
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d)); // Date.UTC would read year 1 as 1901
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const local = date.getTime() / 1000;
  return { seconds: local - offset, nanos: frac ? Number(frac.slice(0, 9).padEnd(9, "0")) : 0, offset };
}

/** time.Time.MarshalJSON: RFC3339Nano in the time's own zone, trailing fraction zeros dropped. */
export function formatGoTime(t: GoTime): string {
  const local = new Date((t.seconds + t.offset) * 1000).toISOString().slice(0, 19);
  const fraction = t.nanos > 0 ? "." + String(t.nanos).padStart(9, "0").replace(/0+$/, "") : "";
  if (t.offset === 0) return `${local}${fraction}Z`;
  const sign = t.offset < 0 ? "-" : "+";
  const abs = Math.abs(t.offset);
  return `${local}${fraction}${sign}${String(Math.floor(abs / 3600)).padStart(2, "0")}:${String(Math.floor(abs / 60) % 60).padStart(2, "0")}`;
}

/**
 * moby `system.Chtimes`: times before the epoch (the zero time) become the epoch. Seconds for
 * tar headers (which truncate fractions).
 */
export function chtimesSeconds(t: GoTime | undefined): number {
  if (!t || t.seconds < 0) return 0;
  return t.seconds;
}
