// Builds fixtures/photos: small JPEGs (longest side 300 px) of clearly neutral photos and clearly drawn
// pictures, from public-domain / CC0 images that Debian packages ship, and records which class the nsfwjs
// MobileNetV2 gives each one when run by TF.js itself (nsfwjs's own preprocessing).
//
// Needs: apt-get install python3-skimage openclipart-svg  (only to regenerate; tests use the committed files)
// Run:   node tools/photos/make-photos.mjs
import { mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as nsfwjs from 'nsfwjs';
import { MobileNetV2Model } from 'nsfwjs/models/mobilenet_v2';

const out = path.resolve('fixtures/photos');
const skimageData = path.join(
  execFileSync('/usr/bin/python3', ['-c', 'import skimage, os; print(os.path.dirname(skimage.__file__))'])
    .toString()
    .trim(),
  'data',
);
const clipart = '/usr/share/openclipart/svg';

const photos = [
  {
    file: 'cat.jpg',
    source: `${skimageData}/chelsea.png`,
    origin: 'scikit-image sample data `chelsea.png` (skimage.data.chelsea), Debian package python3-skimage',
    author: 'Stefan van der Walt',
    license: 'CC0 ("No copyright restrictions. CC0 by the photographer", skimage.data docstring)',
  },
  {
    file: 'coffee.jpg',
    source: `${skimageData}/coffee.png`,
    origin: 'scikit-image sample data `coffee.png` (skimage.data.coffee), Debian package python3-skimage',
    author: 'Rachel Michetti (courtesy of Pikolo Espresso Bar)',
    license: 'CC0 ("No copyright restrictions. CC0 by the photographer", skimage.data docstring)',
  },
  {
    file: 'astronaut.jpg',
    source: `${skimageData}/astronaut.png`,
    origin:
      'scikit-image sample data `astronaut.png` (skimage.data.astronaut), Debian package python3-skimage; NASA',
    author: 'NASA',
    license:
      'Public domain ("No known copyright restrictions, released into the public domain", skimage.data docstring)',
  },
  {
    file: 'tiger-drawing.jpg',
    source: `${clipart}/animals/mammals/big_cats/b_w_tiger_susan_park_01.svg`,
    origin: 'Open Clip Art Library "B_W Tiger", Debian package openclipart-svg',
    author: 'Susan Park',
    license: 'Public domain (cc:license PublicDomain in the SVG; debian/copyright of openclipart-svg)',
  },
  {
    file: 'butterfly-drawing.jpg',
    source: `${clipart}/animals/birds/mirjam_meijer_mirjam_mei_01.svg`,
    origin: 'Open Clip Art Library "Mirjam Meijer" (butterfly on flowers), Debian package openclipart-svg',
    author: 'Mirjam Meijer',
    license: 'Public domain (cc:license PublicDomain in the SVG; debian/copyright of openclipart-svg)',
  },
  {
    file: 'rhino-drawing.jpg',
    source: `${clipart}/animals/mammals/rhinoceros_3d_architetto_01.svg`,
    origin: 'Open Clip Art Library "Rhinoceros 3D", Debian package openclipart-svg',
    author: 'Architetto Francesco Rollandin',
    license: 'Public domain (cc:license PublicDomain in the SVG; debian/copyright of openclipart-svg)',
  },
];

const require = createRequire(import.meta.url);
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
await tf.setBackend('wasm');
const model = await nsfwjs.load('MobileNetV2', { modelDefinitions: [MobileNetV2Model] });

await mkdir(out, { recursive: true });
const manifest = [];
for (const photo of photos) {
  const input = photo.source.endsWith('.svg') ? sharp(photo.source, { density: 150 }) : sharp(photo.source);
  const jpeg = await input
    .flatten({ background: '#ffffff' })
    .resize(300, 300, { fit: 'inside' })
    .jpeg({ quality: 90 })
    .toBuffer();
  await writeFile(path.join(out, photo.file), jpeg);
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32');
  const [top] = await model.classify(image, 1);
  image.dispose();
  console.log(photo.file, info.width, info.height, top.className, top.probability.toFixed(3));
  manifest.push({
    file: photo.file,
    expected: top.className,
    origin: photo.origin,
    author: photo.author,
    license: photo.license,
  });
}
await writeFile(path.join(out, 'photos.json'), `${JSON.stringify(manifest, null, 2)}\n`);
