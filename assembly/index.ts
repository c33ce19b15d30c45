// wharf tar engine: exports for the TypeScript side (src/tar/engine.ts).
import {
  CRC_TABLE_BYTES, ENTRY_BYTES, ENTRY_CAPACITY, PAX_BYTES, PAX_CAPACITY, WINDOW_SIZE, WINDOW_SLACK,
} from "./layout";
import { buildCrcTables, crc64Update } from "./crc64";
import { entryCount, scan as scanWindow, scanStop, stopReason } from "./scan";
import { setTsPos, tarSplitBytes, tarSplitLayout, tarSplitReset, tarSplitScan as scanTarSplit, tsOpCount, tsPos, tsTotal } from "./tarsplit";

let crcTables: usize = 0;
let crcState: usize = 0; // one u64 the host reads and writes around `crc64`
let entryTable: usize = 0;
let paxTable: usize = 0;
let window: usize = 0;

/** Lays out memory and builds tables; call once per instance before anything else. */
export function init(): void {
  const base = (__heap_base + 0xffff) & ~(<usize>0xffff);
  crcTables = base;
  crcState = crcTables + CRC_TABLE_BYTES;
  entryTable = crcState + 64;
  paxTable = entryTable + <usize>ENTRY_BYTES * ENTRY_CAPACITY;
  window = paxTable + <usize>PAX_BYTES * PAX_CAPACITY;
  const top = window + WINDOW_SIZE + WINDOW_SLACK;
  const need = <i32>((top + 0xffff) >> 16) - memory.size();
  if (need > 0) memory.grow(need);
  buildCrcTables(crcTables);
}

export function windowPtr(): usize { return window; }
export function windowSize(): u32 { return WINDOW_SIZE; }
export function entryTablePtr(): usize { return entryTable; }
export function entryCapacity(): u32 { return ENTRY_CAPACITY; }
export function paxTablePtr(): usize { return paxTable; }
export function crcStatePtr(): usize { return crcState; }
export function lastStop(): u32 { return scanStop; }
export function lastStopReason(): u32 { return stopReason; }
export function lastEntryCount(): u32 { return entryCount; }

/** Scans window offsets [pos, end); see scan.ts. Returns the number of entry records. */
export function scan(pos: u32, end: u32, flags: u32): u32 {
  return scanWindow(window, entryTable, paxTable, crcTables, pos, end, flags);
}

/** Continues the CRC held at `crcStatePtr()` over `len` bytes at absolute address `ptr`. */
export function crc64(ptr: usize, len: usize): void {
  store<u64>(crcState, crc64Update(crcTables, load<u64>(crcState), ptr, len));
}

/** Adds the tar-split scanner's areas (tarsplit.ts) after the window; own-memory instances only. */
export function tarSplitInit(): void {
  const base = (window + WINDOW_SIZE + WINDOW_SLACK + 0xffff) & ~(<usize>0xffff);
  const top = base + tarSplitBytes();
  const need = <i32>((top + 0xffff) >> 16) - memory.size();
  if (need > 0) memory.grow(need);
  tarSplitLayout(base);
  tarSplitReset();
}

export { tarSplitOps, tarSplitOut, tarSplitReset } from "./tarsplit";

/** tarsplit.ts `tarSplitScan` over the window; the ops count, cursor and length sum are read after. */
export function tarSplitScan(end: u32, flags: u32): u32 {
  return scanTarSplit(window, end, flags);
}
export function tarSplitPos(): u32 { return tsPos; }
export function tarSplitOpCount(): u32 { return tsOpCount; }
export function tarSplitTotal(): f64 { return tsTotal; }
/** The host moved the unread input to `pos` (the start of the window, after a compaction). */
export function tarSplitSetPos(pos: u32): void { setTsPos(pos); }
