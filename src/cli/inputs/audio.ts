/**
 * WAV files (or folders of them) for an audio model: each file's header is checked before its samples are
 * read, then the clips become the model's windows (see methods/audio/input.ts). Map pictures get time and
 * frequency axes with the top segments outlined, and each map gets the audio of its top segments and of the
 * rest.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { encodeWav } from '../../audio/wav-encode.js';
import type { AudioClip } from '../../audio/wav.js';
import { readWavFile } from '../../node/wav-file.js';
import { FileError, OptionError } from '../../errors.js';
import { audioBatch } from '../../methods/audio/input.js';
import { audioMapFigure, audioMapSound } from '../../methods/audio/present.js';
import type { OnnxModel } from '../../model.js';
import { parseNumber, type ModelFlags } from '../options.js';
import type { LoadedInputs } from './index.js';

/** Files stay as given; a folder becomes its .wav files in name order. */
async function expandAudioPaths(args: readonly string[], limit?: number): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw new FileError('FILE_NOT_FOUND', `audio file not found: ${arg}`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(arg)).filter((n) => n.toLowerCase().endsWith('.wav')).sort();
      if (names.length === 0) throw new FileError('NOT_A_FILE', `folder ${arg} holds no .wav files`);
      out.push(...names.map((n) => path.join(arg, n)));
    } else out.push(arg);
  }
  if (out.length === 0) throw new OptionError('INVALID_OPTION', 'no audio files given');
  return limit !== undefined ? out.slice(0, limit) : out;
}

export async function loadAudioArgs(
  args: readonly string[],
  model: OnnxModel,
  flags: ModelFlags,
  limit?: number,
): Promise<LoadedInputs> {
  const maxSeconds =
    flags.maxSeconds !== undefined ? parseNumber(flags.maxSeconds, '--max-seconds') : undefined;
  if (maxSeconds !== undefined && !(maxSeconds > 0)) {
    throw new OptionError('INVALID_OPTION', `--max-seconds must be positive, got ${maxSeconds}`);
  }
  const hopSeconds = flags.windowHop !== undefined ? parseNumber(flags.windowHop, '--window-hop') : undefined;
  if (hopSeconds !== undefined && !(hopSeconds > 0)) {
    throw new OptionError(
      'INVALID_OPTION',
      `--window-hop must be a positive number of seconds, got ${hopSeconds}`,
    );
  }
  const files = await expandAudioPaths(args, limit);
  const clips: AudioClip[] = [];
  for (const file of files) clips.push(await readWavFile(file, maxSeconds));
  const batch = audioBatch(clips, model, { hopSeconds });
  const { recipe } = batch;
  const perClip = files.map((_, c) => batch.windows.filter((w) => w.clip === c).length);
  // One name per window: the file itself, or file-wK.wav for the K-th window of a longer clip.
  const paths = batch.windows.map((w) =>
    perClip[w.clip] === 1 ? files[w.clip] : files[w.clip].replace(/(\.[^./\\]+)?$/, `-w${w.index}$1`),
  );
  return {
    input: batch.input,
    images: batch.images,
    paths,
    audio: { recipe, windows: batch.windows },
    picture(request) {
      return audioMapFigure(model, recipe, batch.windows[request.item], request.overlay, request);
    },
    extraFiles(request) {
      const sound = audioMapSound(model, recipe, batch.windows[request.item], request);
      return [
        { suffix: '-important.wav', bytes: encodeWav(sound.kept, recipe.sampleRate) },
        { suffix: '-rest.wav', bytes: encodeWav(sound.rest, recipe.sampleRate) },
      ];
    },
  };
}
