/**
 * Random IDs as moby's `stringid.GenerateRandomID` makes them: 32 random bytes as 64 lowercase
 * hex, re-rolled while the first 12 characters are all digits (a short ID that looks like a
 * number would be parsed as one by the CLI).
 */
import type { RandomPort } from "../ports.ts";

export function randomID(random: RandomPort): string {
  for (;;) {
    const hex = Array.from(random.bytes(32), (b) => b.toString(16).padStart(2, "0")).join("");
    if (!/^[0-9]{12}/.test(hex)) return hex;
  }
}
