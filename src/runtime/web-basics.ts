/** Clock and randomness from web-standard APIs, the same in every runtime. */
import type { ClockPort, RandomPort } from "../ports.ts";

/** getRandomValues refuses more than 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

export const webRandom: RandomPort = {
  bytes(n) {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += RANDOM_CHUNK) crypto.getRandomValues(out.subarray(at, Math.min(n, at + RANDOM_CHUNK)));
    return out;
  },
};

export const webClock: ClockPort = {
  now() {
    // timeOrigin + now() has sub-millisecond precision; Date.now() is the truth when they
    // drift apart (the clock was stepped, or the machine slept).
    const precise = performance.timeOrigin + performance.now();
    const coarse = Date.now();
    const ms = Math.abs(precise - coarse) < 1000 ? precise : coarse;
    let seconds = Math.floor(ms / 1000);
    let nanos = Math.round((ms - seconds * 1000) * 1e6);
    if (nanos >= 1e9) {
      seconds += 1;
      nanos -= 1e9;
    }
    return { seconds, nanos };
  },
  monotonicMs: () => performance.now(),
};
