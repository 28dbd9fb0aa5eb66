/**
 * `netlens serve [model] [images...]`: the explorer app on a local server (127.0.0.1 unless --host says
 * otherwise). Everything is computed in the browser; the server hands out the app, the named files and the
 * bundled fixtures, and nothing else.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { fixtureDir, fixturesRoot } from '../../data/manifest.js';
import { OptionError } from '../../errors.js';
import { decodeImage } from '../../image/decode.js';
import { loadModel } from '../../node/load.js';
import { expandImagePaths } from '../images.js';
import { DEFAULT_HOST, DEFAULT_MAX_UPLOAD_BYTES, startExplorer } from '../../server/server.js';
import { parseNumber, type GlobalFlags } from '../options.js';

/** Image classifiers with sample images, offered in the app's fixture picker. */
export const SERVED_FIXTURES = ['shapes-cnn', 'fashion-cnn'];

interface ServeFlags {
  host: string;
  port: string;
  maxUploadMb: string;
}

export function appDir(): string {
  return path.resolve(fixturesRoot(), '..', 'dist', 'app');
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new OptionError(
      'INVALID_OPTION',
      `--port must be an integer 0..65535 (0: any free port), got '${value}'`,
    );
  }
  return port;
}

/**
 * The named model and image files must open here as they would in the app: a corrupt or mistaken file is a
 * one-line error before anything is served (folders are listed by extension; their files are checked on use).
 */
async function checkNamedFiles(model: string | undefined, images: readonly string[]): Promise<void> {
  if (model) await (await loadModel(model)).dispose();
  // Missing paths and folders without images are refused as by every other command.
  if (images.length > 0) await expandImagePaths(images);
  for (const image of images) {
    if ((await stat(image)).isFile()) await decodeImage(image);
  }
}

export function register(program: Command, _globals: () => GlobalFlags): void {
  program
    .command('serve')
    .description('open the explorer app on a local server: predictions, heat maps, activations, embeddings')
    .argument('[model]', 'ONNX model (or TF.js model.json) to open')
    .argument('[images...]', 'image files or folders of images to offer')
    .option(
      '--host <address>',
      'address to listen on (other than loopback only when you mean it)',
      DEFAULT_HOST,
    )
    .option('--port <n>', 'port (0: any free port)', '0')
    .option(
      '--max-upload-mb <n>',
      'largest upload accepted, in MiB',
      String(DEFAULT_MAX_UPLOAD_BYTES / 2 ** 20),
    )
    .action(async (model: string | undefined, images: string[], flags: ServeFlags) => {
      const maxUploadMb = parseNumber(flags.maxUploadMb, '--max-upload-mb');
      if (!(maxUploadMb > 0)) throw new OptionError('INVALID_OPTION', '--max-upload-mb must be positive');
      await checkNamedFiles(model, images);
      const explorer = await startExplorer({
        model,
        images,
        appDir: appDir(),
        fixtures: Object.fromEntries(SERVED_FIXTURES.map((name) => [name, fixtureDir(name)])),
        maxUploadBytes: Math.floor(maxUploadMb * 2 ** 20),
        host: flags.host,
        port: parsePort(flags.port),
      });
      const stop = (): void => {
        void explorer.close().then(() => process.exit(0));
      };
      // Handlers first: a supervisor may stop the server as soon as it reads the address.
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.stdout.write(`netlens explorer: ${explorer.url}\n`);
    });
}
