/** Where a worker thread's compiled script lies: beside this module, or, from TypeScript sources (tests), under dist/. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.js';

/** Path of `src/node/<name>.js` as built; `what` and `otherwise` word the error when it is not built. */
export function workerScript(name: string, what: string, otherwise: string): string {
  const beside = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (existsSync(beside)) return beside;
  const built = beside.replace(/([\\/])src([\\/])node([\\/])([^\\/]+)$/, '$1dist$2node$3$4');
  if (built !== beside && existsSync(built)) return built;
  throw new RuntimeError(
    'RUNTIME_ERROR',
    `${what} script not found (looked for ${beside}); run 'npm run build' or ${otherwise}`,
  );
}
