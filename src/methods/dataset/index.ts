/** Dataset-level views: activations of a whole data set, embeddings, maximal and minimal activating items. */
export * from './source.js';
export * from './layer-layout.js';
export * from './activations.js';
export * from './top-k.js';
export * from './embedding.js';
export * from './extremes.js';
export * from './extremes-figure.js';
