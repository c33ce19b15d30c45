/**
 * The most a file adapter writes in one call. Larger writes make Linux's page cache take
 * large folios, whose high-order pages are the slowest to come by on a VM that hands free
 * memory back to its host (Firecracker with free page reporting, as CI runs on): there 255 MB
 * in 1 MiB writes took 0.07–0.14 s after an idle moment against 0.04 s in 256 KiB writes.
 */
export const WRITE_PIECE = 256 << 10;
