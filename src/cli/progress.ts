/**
 * Progress for long work: a cli-progress bar on an interactive terminal; plain lines on stderr when stderr is
 * not a terminal (or with `--progress plain`), so logs and CI show long work too; nothing with --no-progress
 * or --json. Work projected to take over a minute gets one line with the estimate once its pace is known.
 */
import cliProgress from 'cli-progress';
import type { ProgressCallback } from '../types.js';

export interface ProgressReporter {
  onProgress: ProgressCallback;
  stop(): void;
}

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'plain', 'none'];

let chosenMode: ProgressMode = 'auto';

/** Set from the global `--progress` flag. */
export function setProgressMode(mode: ProgressMode): void {
  chosenMode = mode;
}

/** Milliseconds as "40 s" / "3 min". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

export function createProgress(
  label: string,
  enabled: boolean = process.stderr.isTTY === true,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  now: () => number = Date.now,
): ProgressReporter {
  const mode = !enabled || chosenMode === 'none' ? 'none' : chosenMode;
  if (mode === 'none') return { onProgress: () => undefined, stop: () => undefined };
  const plain = mode === 'plain' || (mode === 'auto' && process.stderr.isTTY !== true);
  const started = now();
  let estimated = false;
  const estimate = (done: number, total: number, stage?: string) => {
    const elapsed = now() - started;
    if (estimated || done <= 0 || done >= total || elapsed < 3000) return;
    estimated = true;
    const left = (elapsed / done) * (total - done);
    if (elapsed + left > 60_000) {
      write(
        `${label}: ${total.toLocaleString('en-US')} ${stage ?? 'units'}, about ${formatDuration(left)} left`,
      );
    }
  };
  if (plain) {
    let lastLine = -Infinity;
    let lastStage: string | undefined;
    return {
      onProgress: ({ done, total, stage }) => {
        estimate(done, total, stage);
        // A line per stage change, at the end, and at most one every 2 s in between.
        if (stage === lastStage && done < total && now() - lastLine < 2000) return;
        lastLine = now();
        lastStage = stage;
        const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
        write(`${label}: ${stage ? `${stage} ` : ''}${done}/${total}${pct}`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% {value}/{total} {stage}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    onProgress: ({ done, total, stage }) => {
      if (!running) {
        bar.start(total, done, { stage: stage ?? '' });
        running = true;
      }
      bar.setTotal(total);
      bar.update(done, { stage: stage ?? '' });
    },
    stop: () => {
      if (running) bar.stop();
    },
  };
}
