/** Explaining audio models: their input batch, time × frequency segments, figures, localization. */
export * from './input.js';
export * from './segments.js';
export * from './localization.js';
export * from './figure.js';
export * from './present.js';
