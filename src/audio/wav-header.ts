/**
 * Checking a WAV file from its header alone, before any sample is read: the RIFF chunk walk finds the `fmt `
 * and `data` chunks, so a file that claims hours of audio, is cut short, or holds an encoding netlens does not
 * decode is refused without reading (or allocating) its samples.
 */
import { AudioError } from '../errors.js';

/** Longest audio accepted by default: 10 minutes. */
export const DEFAULT_MAX_SECONDS = 600;

export type SampleEncoding = 'pcm' | 'float';

export interface WavHeader {
  encoding: SampleEncoding;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Sample frames (one sample per channel each) the data chunk holds. */
  frames: number;
  seconds: number;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ByteReader = (offset: number, length: number) => Promise<Uint8Array>;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0055: 'MP3',
};

function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function encodingOf(formatTag: number, bits: number, name: string): SampleEncoding {
  if (formatTag === 1 && [8, 16, 24, 32].includes(bits)) return 'pcm';
  if (formatTag === 3 && (bits === 32 || bits === 64)) return 'float';
  const what =
    formatTag === 1
      ? `${bits}-bit PCM`
      : formatTag === 3
        ? `${bits}-bit float`
        : `${FORMAT_NAMES[formatTag] ?? 'format'} (tag 0x${formatTag.toString(16).padStart(4, '0')})`;
  throw new AudioError(
    'UNSUPPORTED_AUDIO',
    `${name}: ${what} audio is not supported; expected 8/16/24/32-bit PCM or 32/64-bit float`,
  );
}

/**
 * The header of the WAV file behind `read` (`size` bytes in all). Throws AudioError for a non-WAV file, a
 * truncated one, no audio, more than `maxSeconds`, or an unsupported encoding (named).
 */
export async function inspectWav(
  read: ByteReader,
  size: number,
  name: string,
  maxSeconds = DEFAULT_MAX_SECONDS,
): Promise<WavHeader> {
  const head = await read(0, 12);
  if (head.length < 12 || fourCc(head, 0) !== 'RIFF' || fourCc(head, 8) !== 'WAVE') {
    throw new AudioError('INVALID_AUDIO', `${name} is not a WAV file (no RIFF/WAVE header)`);
  }
  let offset = 12;
  let fmt:
    { formatTag: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  while (offset + 8 <= size) {
    const chunk = await read(offset, 8);
    if (chunk.length < 8) break;
    const id = fourCc(chunk, 0);
    const view = new DataView(chunk.buffer, chunk.byteOffset, 8);
    const chunkSize = view.getUint32(4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      const bytes = await read(body, Math.min(chunkSize, 40));
      if (chunkSize < 16 || bytes.length < 16) {
        throw new AudioError('INVALID_AUDIO', `${name} is truncated (incomplete 'fmt ' chunk)`);
      }
      const f = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      let formatTag = f.getUint16(0, true);
      // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two bytes of its sub-format GUID.
      if (formatTag === 0xfffe && bytes.length >= 26) formatTag = f.getUint16(24, true);
      fmt = {
        formatTag,
        channels: f.getUint16(2, true),
        sampleRate: f.getUint32(4, true),
        blockAlign: f.getUint16(12, true),
        bits: f.getUint16(14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new AudioError('INVALID_AUDIO', `${name} has its 'data' chunk before its 'fmt ' chunk`);
      const encoding = encodingOf(fmt.formatTag, fmt.bits, name);
      if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.blockAlign !== (fmt.channels * fmt.bits) / 8) {
        throw new AudioError(
          'INVALID_AUDIO',
          `${name} has an inconsistent 'fmt ' chunk (${fmt.channels} channels, ${fmt.sampleRate} Hz, block ${fmt.blockAlign} bytes)`,
        );
      }
      const frames = Math.floor(chunkSize / fmt.blockAlign);
      const seconds = frames / fmt.sampleRate;
      if (frames === 0) throw new AudioError('INVALID_AUDIO', `${name} holds no audio (0 samples)`);
      if (seconds > maxSeconds) {
        throw new AudioError(
          'AUDIO_TOO_LONG',
          `${name} holds ${formatDuration(seconds)} of audio, more than the ${formatDuration(maxSeconds)} allowed`,
        );
      }
      if (body + chunkSize > size) {
        throw new AudioError(
          'INVALID_AUDIO',
          `${name} is truncated: its data chunk claims ${chunkSize} bytes but only ${Math.max(0, size - body)} follow`,
        );
      }
      return {
        encoding,
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bits,
        frames,
        seconds,
      };
    }
    offset = body + chunkSize + (chunkSize % 2);
  }
  throw new AudioError(
    'INVALID_AUDIO',
    `${name} is truncated (no 'data' chunk${fmt ? '' : ", no 'fmt ' chunk"})`,
  );
}

function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${seconds.toFixed(2)} s`;
}

/** A ByteReader over bytes already in memory. */
export function bytesReader(bytes: Uint8Array): ByteReader {
  return (offset, length) => Promise.resolve(bytes.subarray(offset, Math.min(bytes.length, offset + length)));
}
