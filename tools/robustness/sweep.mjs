// Hostile-input sweep over the whole command line: every command against broken models, broken images, bad
// option values and awkward paths. Each run must end either as it should (a valid input) or with one line
// on stderr carrying a stable [CODE] and a non-zero exit, within a time and memory bound, and must leave no
// file at its --out path when it fails.
//
//   npm run build && node tools/robustness/sweep.mjs [--only <command>] [--out tools/robustness/results.md]
//
// Writes a Markdown table (default tools/robustness/results.md) and exits non-zero when any run misbehaves.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'fixtures/shapes-cnn/model.onnx');
const IMAGE = path.join(ROOT, 'fixtures/shapes-cnn/samples/images/0000-circle.png');
const TIME_LIMIT_S = 120;
const MEMORY_LIMIT_MB = 3072;
const CONCURRENCY = 2;

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const resultFile = args.includes('--out')
  ? path.resolve(args[args.indexOf('--out') + 1])
  : path.join(ROOT, 'tools/robustness/results.md');

/** Every subcommand with its argument shape, read from the CLI's own help. */
async function listCommands() {
  const help = (await run(['--help'])).stdout;
  const commands = [];
  for (const line of help.split('\n')) {
    const m = /^\s{2}([a-z][a-z-]*) \[options\] (.*?)\s{2,}/.exec(line);
    if (!m || m[1] === 'help') continue;
    const shape = m[2];
    const kind =
      m[1] === 'convert'
        ? 'convert'
        : shape.includes('<images...>') || shape.includes('<image>')
          ? 'images'
          : shape.includes('[images...]')
            ? 'dataset'
            : 'model';
    commands.push({ name: m[1], kind, single: shape.includes('<image>') });
  }
  return commands;
}

/** Runs the CLI; returns exit code, output, wall time and peak RSS (polled from /proc). */
function run(argv, cwd = ROOT) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, '--no-progress', ...argv], { cwd, env: process.env });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d) => {
      stdout += d;
      // `serve` runs until stopped: once it prints its address it has started as it should, so stop it.
      if (/netlens explorer: http/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(async () => {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+)/.exec(status);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        if (peakKb > MEMORY_LIMIT_MB * 1024) child.kill('SIGKILL');
      } catch {
        // the process has gone
      }
    }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_S * 1000);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        seconds: (Date.now() - started) / 1000,
        peakMb: peakKb / 1024,
      });
    });
  });
}

/** The hostile files, made once in a temp folder. */
async function makeFiles(dir) {
  const f = (name) => path.join(dir, name);
  const model = await readFile(MODEL);
  await writeFile(f('empty.onnx'), Buffer.alloc(0));
  await writeFile(f('truncated.onnx'), model.subarray(0, Math.floor(model.length / 2)));
  const random = Buffer.alloc(16384);
  let s = 12345;
  for (let i = 0; i < random.length; i++) random[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  await writeFile(f('random.onnx'), random);
  await mkdir(f('a-folder.onnx'));
  await copyFile(IMAGE, f('image-as-model.onnx'));
  await sharp({
    create: { width: 20000, height: 20000, channels: 3, background: '#000' },
    limitInputPixels: false,
  })
    .greyscale()
    .png({ compressionLevel: 9 })
    .toFile(f('huge.png'));
  const jpeg = await sharp(IMAGE).jpeg().toBuffer();
  await sharp(IMAGE).toColourspace('cmyk').jpeg().toFile(f('cmyk.jpg'));
  await writeFile(f('corrupt.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
  await writeFile(f('text.png'), 'not an image\n');
  await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toFile(f('one-pixel.png'));
  await mkdir(f('empty-folder'));
  await writeFile(f('three-labels.txt'), 'a\nb\nc\n');
  await writeFile(f('a-file'), 'x');
  await mkdir(f('dir with space/ünïcødé'), { recursive: true });
  await copyFile(IMAGE, f('dir with space/ünïcødé/köln bild.png'));
  await copyFile(MODEL, f('dir with space/ünïcødé/mödel 1.onnx'));
  return f;
}

/** Flags that a command takes, parsed from its help. */
async function flagsOf(command) {
  const help = (await run([command, '--help'])).stdout;
  return new Set([...help.matchAll(/(--[a-z][a-z-]*)/g)].map((m) => m[1]));
}

/**
 * The cases: [label, argv, expectation] where expectation is 'error', 'ok', or 'either' (a valid input that a
 * command may still refuse with a typed error, e.g. one image for an embedding that needs three).
 */
function casesFor(command, flags, f) {
  const out = path.join(f('out'), `${command.name}.png`);
  const image = command.kind === 'dataset' ? [] : command.kind === 'images' ? [IMAGE] : [];
  const dataset = command.kind === 'dataset' ? [path.dirname(IMAGE), '--limit', '8'] : [];
  const withOut = flags.has('--out') ? ['--out', out] : [];
  const base = (model, rest = image) => [command.name, model, ...rest, ...dataset, ...withOut];
  const cases = [];
  if (command.kind === 'convert') {
    cases.push([
      'missing model.json',
      ['convert', f('nope/model.json'), out.replace(/png$/, 'onnx')],
      'error',
    ]);
    cases.push(['random bytes as model.json', ['convert', f('random.onnx'), f('out/c.onnx')], 'error']);
    cases.push(['a folder as model.json', ['convert', f('a-folder.onnx'), f('out/c.onnx')], 'error']);
    return cases;
  }
  cases.push(['empty .onnx', base(f('empty.onnx')), 'error']);
  cases.push(['truncated .onnx', base(f('truncated.onnx')), 'error']);
  cases.push(['random bytes .onnx', base(f('random.onnx')), 'error']);
  cases.push(['a folder as model', base(f('a-folder.onnx')), 'error']);
  cases.push(['a PNG as model', base(f('image-as-model.onnx')), 'error']);
  cases.push(['missing model', base(f('nope.onnx')), 'error']);
  if (command.kind === 'images' || command.kind === 'dataset') {
    const images = (list) => [command.name, MODEL, ...list, ...withOut];
    cases.push(['20000 x 20000 PNG', images([f('huge.png')]), 'error']);
    const valid = command.kind === 'dataset' ? 'either' : 'ok';
    cases.push(['CMYK JPEG', images([f('cmyk.jpg')]), valid]);
    cases.push(['corrupt JPEG', images([f('corrupt.jpg')]), 'error']);
    cases.push(['text file named .png', images([f('text.png')]), 'error']);
    cases.push(['1 x 1 image', images([f('one-pixel.png')]), valid]);
    cases.push(['missing image', images([f('nope.png')]), 'error']);
    if (!command.single) cases.push(['empty folder', images([f('empty-folder')]), 'error']);
    cases.push([
      'spaces and non-ASCII in paths',
      [
        command.name,
        f('dir with space/ünïcødé/mödel 1.onnx'),
        f('dir with space/ünïcødé/köln bild.png'),
        ...(flags.has('--out') ? ['--out', f('dir with space/ünïcødé/aus gabe.png')] : []),
      ],
      valid,
    ]);
  }
  for (const layerFlag of ['--layer', '--feature-layer']) {
    if (flags.has(layerFlag))
      cases.push([`unknown ${layerFlag}`, [...base(MODEL), layerFlag, 'no-such-layer'], 'error']);
  }
  if (flags.has('--target')) {
    cases.push(['unknown --target name', [...base(MODEL), '--target', 'zebra'], 'error']);
    cases.push(['--target index out of range', [...base(MODEL), '--target', '99'], 'error']);
  }
  if (flags.has('--labels'))
    cases.push([
      'labels file of the wrong length',
      [...base(MODEL), '--labels', f('three-labels.txt')],
      'error',
    ]);
  const counts = [
    '--top',
    '--mini-batch-size',
    '--num-samples',
    '--num-steps',
    '--num-iterations',
    '--limit',
    '--num-features',
    '--max-iterations',
    '--pyramid-levels',
    '--threads',
  ];
  for (const flag of counts) {
    if (!flags.has(flag)) continue;
    cases.push([`${flag} 0`, [...base(MODEL), flag, '0'], 'error']);
    cases.push([`${flag} -3`, [...base(MODEL), flag, '-3'], 'error']);
  }
  for (const flag of ['--mask-size', '--stride', '--input-size']) {
    if (!flags.has(flag)) continue;
    cases.push([`${flag} 0x0`, [...base(MODEL), flag, '0x0'], 'error']);
    cases.push([`${flag} -4`, [...base(MODEL), flag, '-4'], 'error']);
  }
  if (flags.has('--out')) {
    cases.push([
      '--out under a regular file',
      [...base(MODEL).filter((a) => a !== out && a !== '--out'), '--out', f('a-file/x.png')],
      'error',
    ]);
  }
  return cases;
}

function judge(result, expectation, outPath) {
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  if (result.signal) return `killed (${result.signal}: over ${TIME_LIMIT_S} s or ${MEMORY_LIMIT_MB} MB)`;
  if (expectation === 'ok')
    return result.code === 0 ? 'ok' : `expected success, got: ${lines[0] ?? `exit ${result.code}`}`;
  if (result.code === 0) return expectation === 'either' ? 'ok' : 'accepted bad input (exit 0)';
  if (lines.length !== 1) return `${lines.length} lines on stderr`;
  if (!/\[[A-Z_]+\]$/.test(lines[0])) return 'error without a [CODE]';
  if (outPath && existsSync(outPath)) return `left a file at ${path.basename(outPath)}`;
  return 'ok';
}

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'netlens-sweep-'));
  try {
    const f = await makeFiles(dir);
    await mkdir(f('out'));
    const commands = (await listCommands()).filter((c) => !only || c.name === only);
    const jobs = [];
    for (const command of commands) {
      const flags = await flagsOf(command.name);
      for (const [label, argv, expectation] of casesFor(command, flags, f)) {
        // One output path per run: runs go in parallel and must not see each other's files.
        const at = argv.indexOf('--out');
        if (at >= 0 && argv[at + 1].startsWith(f('out')))
          argv[at + 1] = path.join(f('out'), `${jobs.length}-${path.basename(argv[at + 1])}`);
        jobs.push({ command: command.name, label, argv, expectation });
      }
    }
    const rows = [];
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const outIndex = job.argv.indexOf('--out');
        const outPath = outIndex >= 0 ? job.argv[outIndex + 1] : undefined;
        if (outPath) await rm(outPath, { recursive: true, force: true }).catch(() => undefined);
        const result = await run(job.argv);
        const verdict = judge(result, job.expectation, job.expectation === 'error' ? outPath : undefined);
        const message = result.stderr.split('\n').find((l) => l.trim() !== '') ?? '';
        rows.push({
          ...job,
          verdict,
          code: result.code,
          seconds: result.seconds,
          peakMb: result.peakMb,
          message,
        });
        process.stderr.write(`${verdict === 'ok' ? '.' : 'x'}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    process.stderr.write('\n');
    rows.sort((a, b) => a.command.localeCompare(b.command) || a.label.localeCompare(b.label));
    const bad = rows.filter((r) => r.verdict !== 'ok');
    const clean = (s) => s.replaceAll(dir, '$TMP').replaceAll('|', '\\|').slice(0, 160);
    const table = [
      '# Hostile-input sweep',
      '',
      `Generated by \`node tools/robustness/sweep.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${rows.length} runs, ` +
        `${bad.length} misbehaving. Limits per run: ${TIME_LIMIT_S} s, ${MEMORY_LIMIT_MB} MB peak RSS.`,
      `Slowest run ${Math.max(...rows.map((r) => r.seconds)).toFixed(1)} s, largest peak RSS ` +
        `${Math.max(...rows.map((r) => r.peakMb)).toFixed(0)} MB.`,
      '',
      '| command | case | expected | verdict | exit | s | MB | stderr |',
      '|---|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.command} | ${r.label} | ${r.expectation} | ${r.verdict === 'ok' ? 'ok' : `**${clean(r.verdict)}**`} | ` +
          `${r.code} | ${r.seconds.toFixed(1)} | ${r.peakMb.toFixed(0)} | ${clean(r.message)} |`,
      ),
      '',
    ].join('\n');
    await writeFile(resultFile, table);
    console.log(
      `${rows.length} runs, ${bad.length} misbehaving; table in ${path.relative(ROOT, resultFile)}`,
    );
    for (const r of bad) console.log(`  ${r.command} / ${r.label}: ${r.verdict} — ${clean(r.message)}`);
    process.exitCode = bad.length > 0 ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
