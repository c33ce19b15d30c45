/**
 * SHA-256 through hash-wasm: the portable path (and the browser's). hash-wasm can only create a
 * hasher asynchronously, but `DigesterFactory.sha256()` is synchronous, so every digester shares
 * one WASM instance and carries its own saved state; the instance switches state only when a
 * different digester than the last one feeds it (streams that interleave pay a ~100-byte copy).
 */
import { createSHA256, type IHasher } from "hash-wasm";
import type { Digester, DigesterFactory } from "../ports.ts";
import { WharfError } from "../errors.ts";

let loading: Promise<DigesterFactory> | undefined;

/** Instantiates the WASM hasher once; later calls return the same factory. */
export function loadWasmDigests(): Promise<DigesterFactory> {
  loading ??= createSHA256().then((hasher) => new SharedHasherFactory(hasher));
  return loading;
}

class SharedHasherFactory implements DigesterFactory {
  readonly kind = "wasm" as const;
  /** The digester whose state the instance currently holds. */
  private owner: SharedDigester | undefined;

  constructor(private readonly hasher: IHasher) {}

  sha256(): Digester {
    return new SharedDigester(this);
  }

  /** Makes `digester`'s state current and returns the instance. */
  acquire(digester: SharedDigester): IHasher {
    if (this.owner !== digester) {
      if (this.owner !== undefined && !this.owner.finished) this.owner.state = this.hasher.save();
      if (digester.state === undefined) this.hasher.init();
      else this.hasher.load(digester.state);
      this.owner = digester;
    }
    return this.hasher;
  }

  release(digester: SharedDigester): void {
    if (this.owner === digester) this.owner = undefined;
  }
}

class SharedDigester implements Digester {
  state: Uint8Array | undefined;
  finished = false;

  constructor(private readonly factory: SharedHasherFactory) {}

  update(data: Uint8Array): void {
    this.checkOpen();
    this.factory.acquire(this).update(data);
  }

  hex(): string {
    this.checkOpen();
    const hex = this.factory.acquire(this).digest("hex");
    this.finished = true;
    this.state = undefined;
    this.factory.release(this);
    return hex;
  }

  private checkOpen(): void {
    if (this.finished) throw new WharfError("INVALID_ARGUMENT", "sha256 digester used after hex()");
  }
}
