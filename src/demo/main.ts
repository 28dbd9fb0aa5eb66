/**
 * `npm run demo`: the project's main job on bundled data. Writes demo-report/ with one HTML report per
 * bundled model (shapes, Fashion-MNIST, MobileNetV2 converted from the nsfwjs TF.js model, the wine table MLP)
 * and an index.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../cli/program.js';
import { fixturesRoot } from '../data/manifest.js';
import { encodeModel } from '../onnx/proto.js';
import { writeFileAtomic } from '../render/png.js';
import { convertNsfwjsModel } from '../tfjs/nsfwjs.js';
import { escapeHtml } from '../report/html.js';

interface DemoReport {
  title: string;
  dir: string;
  args: string[];
  about: string;
}

async function main(): Promise<number> {
  const root = path.dirname(fixturesRoot());
  const out = path.resolve(process.argv[2] ?? path.join(root, 'demo-report'));
  const fixture = (name: string, ...parts: string[]) => path.join(root, 'fixtures', name, ...parts);
  await mkdir(path.join(out, 'models'), { recursive: true });

  process.stderr.write('demo: converting the nsfwjs MobileNetV2 (TF.js LayersModel) to ONNX...\n');
  const mobilenet = path.join(out, 'models', 'mobilenet_v2.onnx');
  await writeFileAtomic(mobilenet, encodeModel(await convertNsfwjsModel('MobileNetV2')));

  const reports: DemoReport[] = [
    {
      title: 'Synthetic shapes (shapes-cnn)',
      dir: 'shapes-cnn',
      about:
        'A small CNN trained here on synthetic 64×64 shapes; the object box is known, so the maps can be checked.',
      args: [fixture('shapes-cnn', 'model.onnx'), fixture('shapes-cnn', 'samples', 'images'), '--limit', '6'],
    },
    {
      title: 'Fashion-MNIST (fashion-cnn)',
      dir: 'fashion-cnn',
      about:
        'conv–BN–ReLU–pool blocks, global average pooling and one fully connected layer, so CAM applies; t-SNE and max/min images over 1 000 test images.',
      args: [
        fixture('fashion-cnn', 'model.onnx'),
        fixture('fashion-cnn', 'samples', 'images'),
        '--limit',
        '6',
        // The 1 000 bundled test images feed the dataset sections (t-SNE embedding, max/min images).
        '--samples',
        'fashion-cnn',
        '--dataset-limit',
        '1000',
      ],
    },
    {
      title: 'MobileNetV2 from nsfwjs (TF.js → ONNX)',
      dir: 'mobilenet-v2',
      about:
        'The pretrained Keras MobileNetV2 that the nsfwjs package ships, converted by netlens, on public-domain photos and drawings.',
      // On a 224² network the per-channel methods (Score-CAM, Ablation-CAM: 1 280 passes per image) and the
      // noise tunnel take minutes on two cores; the demo shows the methods that answer in seconds.
      args: [
        mobilenet,
        path.join(root, 'fixtures', 'photos'),
        '--sections',
        'predictions,activations,gradcam,gradcampp,layercam,eigencam,saliency,guided-gradcam,integrated-gradients,occlusion,lime',
      ],
    },
    {
      title: 'Wine recognition (tabular-mlp-wine)',
      dir: 'tabular-mlp-wine',
      about:
        'An MLP over 13 measured features of wines, explained from a CSV: LIME and Shapley values per row and the Shapley summary over the 53 test rows.',
      args: [
        fixture('tabular-mlp-wine', 'model.onnx'),
        fixture('tabular-mlp-wine', 'samples', 'samples.csv'),
      ],
    },
  ];
  for (const r of reports) {
    if (!existsSync(r.args[0])) {
      process.stderr.write(`demo: ${r.args[0]} is missing; reinstall the package\n`);
      return 1;
    }
    process.stderr.write(`demo: ${r.title}...\n`);
    const code = await runCli(['report', ...r.args, '--out', path.join(out, r.dir)]);
    if (code !== 0) return code;
  }
  const items = reports
    .map((r) => `<li><a href="${r.dir}/index.html">${escapeHtml(r.title)}</a> — ${escapeHtml(r.about)}</li>`)
    .join('\n');
  await writeFileAtomic(
    path.join(out, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>netlens demo</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem}li{margin:.6rem 0}</style></head>
<body><h1>netlens demo</h1><p>Each report explains one bundled model on bundled images or tables.</p><ul>
${items}
</ul></body></html>
`,
  );
  process.stdout.write(`demo: open ${path.join(out, 'index.html')}\n`);
  return 0;
}

process.exitCode = await main();
