/**
 * Runs one CLI command in this process, then reports its peak resident memory on stderr as one marked line:
 * the bench spawns it to measure what a command costs on its own, outside the bench's own heap.
 */
import { runCli } from '../cli/program.js';
import { ownPeakRssKiB } from './peak-rss.js';

const RSS_MARKER = 'netlens-bench-peak-rss-kib';

const code = await runCli(process.argv.slice(2));
process.stderr.write(`${RSS_MARKER} ${ownPeakRssKiB()}\n`);
process.exitCode = code;
