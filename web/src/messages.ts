/** The page ⇄ worker protocol. Everything here is structured-clone safe. */
import type { ArchiveReport } from "../../src/analyze/model.ts";

export interface InspectRequest {
  type: "inspect";
  /** A File or Blob: the worker reads it in slices, never whole. */
  file: Blob;
}

export type WorkerMessage =
  | { type: "progress"; done: number; total: number }
  | { type: "report"; report: ArchiveReport; millis: number }
  | { type: "error"; message: string };
