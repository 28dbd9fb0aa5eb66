/** Every bench suite; a method adds its suite file and one line here. */
import type { BenchSuite } from '../context.js';
import { browserSuite } from './browser.js';
import { coreSuite } from './core.js';
import { datasetSuite } from './dataset.js';
import { evaluateSuite } from './evaluate.js';
import { gradientSuite } from './gradient.js';
import { perturbationSuite } from './perturbation.js';
import { ratiosSuite } from './ratios.js';
import { sequenceSuite } from './sequence.js';
import { tableSuite } from './table.js';
import { projectionSuite } from './projection.js';
import { probeSuite } from './probe.js';

export const SUITES: readonly BenchSuite[] = [
  coreSuite,
  ratiosSuite,
  perturbationSuite,
  gradientSuite,
  datasetSuite,
  sequenceSuite,
  tableSuite,
  evaluateSuite,
  projectionSuite,
  probeSuite,
  browserSuite,
];
