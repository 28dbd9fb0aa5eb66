/** Audio in: WAV decoding, resampling, windows, the model's spectrogram, masked resynthesis. */
export * from './recipe.js';
export * from './mel.js';
export * from './stft.js';
export * from './spectrogram.js';
export * from './windows.js';
export * from './resynthesis.js';
export * from './wav-header.js';
export * from './wav.js';
export * from './wav-encode.js';
