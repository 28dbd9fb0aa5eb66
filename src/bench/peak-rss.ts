/**
 * Peak resident memory of this process in KiB. On Linux the high-water mark of its own address space
 * (`VmHWM` in /proc/self/status): getrusage's maxRSS of a spawned child also counts the pages it shared with the
 * parent at fork, which Linux carries across exec — a bench holding 1.2 GB made `node -e` read 1.15 GB that way,
 * against 40 MB of its own. Elsewhere, getrusage's figure.
 */
import { readFileSync } from 'node:fs';

export function ownPeakRssKiB(): number {
  try {
    const match = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // No procfs (macOS, Windows): fall through.
  }
  return process.resourceUsage().maxRSS;
}
