/**
 * Progress for long work: a cli-progress bar on an interactive terminal, silence otherwise (pipes, CI, --json).
 */
import cliProgress from 'cli-progress';
import type { ProgressCallback } from '../types.js';

export interface ProgressReporter {
  onProgress: ProgressCallback;
  stop(): void;
}

export function createProgress(
  label: string,
  enabled: boolean = process.stderr.isTTY === true,
): ProgressReporter {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% {value}/{total} {stage}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: ({ done, total, stage }) => {
      if (!started) {
        bar.start(total, done, { stage: stage ?? '' });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { stage: stage ?? '' });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
