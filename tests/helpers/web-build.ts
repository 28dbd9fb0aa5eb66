/** The browser bundle the tests load: built by `npm run build`, or here when a checkout has none yet. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const WEB_DIST = path.resolve('dist/browser');
export const APP_DIST = path.resolve('dist/app');

function build(config: string, marker: string): void {
  if (existsSync(marker)) return;
  execFileSync(process.execPath, [path.resolve('node_modules/vite/bin/vite.js'), 'build', '-c', config], {
    stdio: 'inherit',
  });
}

export function ensureWebBuild(): string {
  build('vite.web.config.ts', path.join(WEB_DIST, 'netlens.js'));
  return WEB_DIST;
}

export function ensureAppBuild(): string {
  build('vite.app.config.ts', path.join(APP_DIST, 'index.html'));
  return APP_DIST;
}
