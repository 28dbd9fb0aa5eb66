/** Every report section, in page order. A method adds its section file and one line here. */
import type { ReportSection } from '../section.js';
import { activationsSection } from './activations.js';
import { audioSection } from './audio.js';
import { classMaxSection, deepDreamSection } from './dream.js';
import { embeddingSection } from './embedding.js';
import { EXPLAINER_SECTIONS } from './explainers.js';
import { extremesSection } from './extremes.js';
import { predictionsSection } from './predictions.js';

export const SECTIONS: readonly ReportSection[] = [
  predictionsSection,
  activationsSection,
  ...EXPLAINER_SECTIONS,
  audioSection,
  deepDreamSection,
  classMaxSection,
  embeddingSection,
  extremesSection,
];
