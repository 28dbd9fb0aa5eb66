/** Reading a WAV file from disk: the header first (a few bytes), then the samples. */
import { open, readFile } from 'node:fs/promises';
import { decodeWav, type AudioClip } from '../audio/wav.js';
import { DEFAULT_MAX_SECONDS, inspectWav } from '../audio/wav-header.js';

/** Header first (from a few bytes), so a huge or broken file is refused before its samples are read. */
export async function readWavFile(file: string, maxSeconds = DEFAULT_MAX_SECONDS): Promise<AudioClip> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    await inspectWav(
      async (offset, length) => {
        const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        if (buffer.length > 0) await handle.read(buffer, 0, buffer.length, offset);
        return buffer;
      },
      size,
      file,
      maxSeconds,
    );
  } finally {
    await handle.close();
  }
  return decodeWav(await readFile(file), file, { maxSeconds });
}
