/**
 * CRC-64/ISO, as Go's `hash/crc64` with `crc64.ISO` (tar-split's checksum): reflected
 * polynomial 0xD800000000000000, init and final xor all ones. Computed by the WASM engine;
 * bytes from JS memory are copied through the engine window in 1 MiB steps.
 */
import { TarEngine } from "./engine.ts";

const STEP = 1 << 20;

export class Crc64 {
  private crc = 0n;
  private constructor(private readonly engine: TarEngine) {}

  static async create(): Promise<Crc64> {
    return new Crc64(await TarEngine.create());
  }

  update(data: Uint8Array): this {
    const window = this.engine.window;
    for (let at = 0; at < data.length; at += STEP) {
      const part = data.subarray(at, Math.min(at + STEP, data.length));
      window.set(part, 0);
      this.crc = this.engine.crcWindow(this.crc, 0, part.length);
    }
    return this;
  }

  /** The CRC so far (updating may continue). */
  value(): bigint {
    return this.crc;
  }

  /** The CRC as 8 big-endian bytes, as tar-split stores it. */
  bytes(): Uint8Array {
    return crc64Bytes(this.crc);
  }

  reset(): void {
    this.crc = 0n;
  }
}

export function crc64Bytes(crc: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, crc, false);
  return out;
}

/** One-shot CRC-64/ISO of `data`. */
export async function crc64Iso(data: Uint8Array): Promise<bigint> {
  return (await Crc64.create()).update(data).value();
}
