/** Importing this module registers every supported layer family. */
import './activations.js';
import './convolution.js';
import './core.js';
import './merging.js';
import './normalization.js';
import './pooling.js';
import './recurrent.js';
import './reshaping.js';

export { supportedLayerClasses } from './registry.js';
