/**
 * The explorer: pick a bundled fixture or drop a model and images, see predictions, explain with any heat-map
 * method of the catalog, compare methods side by side, look at a layer's activations and at the sample set's
 * embedding. Every computation runs in the worker, in this browser.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  COLORMAPS,
  EXPLAINERS,
  channelMaps,
  montage,
  prepareImages,
  tensorToImage,
  topK,
  type ClassScore,
  type ColormapName,
  type Explainer,
  type ExplainerRun,
  type ModelSummary,
  type RawImage,
  type TensorData,
  type TfjsModelFiles,
} from '../../src/web/index';
import { mapOverlay } from '../../src/explainers/render';
import { downloadJson, downloadPng } from './downloads';
import { MethodForm } from './MethodForm';
import { netlensWorker, wasmPaths } from './netlens';
import { parseOptions, type FormValues } from './options';
import { RawCanvas } from './RawCanvas';
import { Scatter, type ScatterPoint } from './Scatter';
import {
  concatShards,
  decodeAll,
  fetchBytes,
  fetchImages,
  fetchSession,
  fetchTfjs,
  type ImageItem,
  type SessionInfo,
} from './session';

interface Loaded {
  name: string;
  summary: ModelSummary;
  names: string[];
  inputs: TensorData[];
  /** What the model sees (input resolution, normalisation undone): the heat map's background. */
  pictures: RawImage[];
}

interface Explained {
  id: number;
  explainer: Explainer;
  run: ExplainerRun;
  image: number;
  caption: string;
}

const MODEL_FILE = /\.(onnx|json|bin)$/i;
const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;

async function tfjsFromFiles(files: readonly File[]): Promise<TfjsModelFiles> {
  const jsonFile = files.find((f) => f.name.toLowerCase().endsWith('.json'))!;
  const modelJson = JSON.parse(await jsonFile.text()) as { weightsManifest?: { paths: string[] }[] };
  const shards: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    for (const p of group.paths) {
      const base = p.split('/').pop();
      const shard = files.find((f) => f.name === base);
      if (!shard) throw new Error(`TF.js weight shard ${p} was not dropped with ${jsonFile.name}`);
      shards.push(new Uint8Array(await shard.arrayBuffer()));
    }
  }
  return { modelJson, weights: concatShards(shards) };
}

export function App() {
  const [session, setSession] = useState<SessionInfo>();
  const [loaded, setLoaded] = useState<Loaded>();
  const [selected, setSelected] = useState(0);
  const [predictions, setPredictions] = useState<ClassScore[]>([]);
  const [methodId, setMethodId] = useState('gradcam');
  const [forms, setForms] = useState<Record<string, FormValues>>({});
  const [target, setTarget] = useState('');
  const [layer, setLayer] = useState('');
  const [opacity, setOpacity] = useState(0.5);
  const [colormap, setColormap] = useState<ColormapName | ''>('');
  const [result, setResult] = useState<Explained>();
  const [compared, setCompared] = useState<Explained[]>([]);
  const [activationPicture, setActivationPicture] = useState<RawImage>();
  const [points, setPoints] = useState<ScatterPoint[]>();
  const [projection, setProjection] = useState<'tsne' | 'umap'>('tsne');
  const [status, setStatus] = useState('starting');
  const [error, setError] = useState('');
  const latest = useRef(0);

  const explainer = useMemo(() => EXPLAINERS.find((e) => e.id === methodId)!, [methodId]);
  const fail = useCallback((err: unknown) => {
    setError(err instanceof Error ? err.message : String(err));
    setStatus('idle');
  }, []);
  const progress = useCallback(
    (what: string) => (e: { done: number; total: number; stage?: string }) =>
      setStatus(`${what}: ${e.done}/${e.total} ${e.stage ?? ''}`),
    [],
  );

  const openModel = useCallback(
    async (name: string, model: Uint8Array | TfjsModelFiles, images: ImageItem[]) => {
      setError('');
      setStatus(`loading ${name}`);
      setLoaded(undefined);
      setResult(undefined);
      setCompared([]);
      setPoints(undefined);
      setActivationPicture(undefined);
      const summary = await netlensWorker().load({ model, wasmPaths: wasmPaths() });
      const spec = summary.inputSpec;
      if (!spec)
        throw new Error(`${name} carries no input description (size, normalisation); use a netlens model`);
      const raws = await decodeAll(images, spec.channels === 1 ? 1 : 3);
      const inputs = raws.map((r) => prepareImages([r], spec));
      setLoaded({
        name,
        summary,
        names: images.map((i) => i.name),
        inputs,
        pictures: inputs.map((t) => tensorToImage(t, spec)),
      });
      setLayer(summary.featureLayer ?? '');
      setTarget('');
      setSelected(0);
      setStatus('ready');
    },
    [],
  );

  const openFixture = useCallback(
    async (info: SessionInfo, name: string) => {
      const fixture = info.fixtures.find((f) => f.name === name);
      if (!fixture) return;
      await openModel(name, await fetchBytes(fixture.model.url), await fetchImages(fixture.images));
    },
    [openModel],
  );

  useEffect(() => {
    (async () => {
      const info = await fetchSession();
      setSession(info);
      if (info.model) {
        const images = await fetchImages(info.images);
        const model = info.model.url.toLowerCase().endsWith('.json')
          ? await fetchTfjs(info.model.url)
          : await fetchBytes(info.model.url);
        await openModel(info.model.name, model, images);
      } else if (info.fixtures.length > 0) {
        await openFixture(info, info.fixtures[0].name);
      }
    })().catch(fail);
  }, [openModel, openFixture, fail]);

  const onDrop = useCallback(
    async (files: File[]) => {
      const modelFiles = files.filter((f) => MODEL_FILE.test(f.name));
      const imageFiles = files.filter((f) => IMAGE_FILE.test(f.name));
      const images = imageFiles.map((f) => ({ name: f.name, blob: f as Blob }));
      if (modelFiles.length === 0) {
        if (!loaded) throw new Error('drop a model (.onnx, or TF.js model.json with its .bin files) first');
        const spec = loaded.summary.inputSpec!;
        const raws = await decodeAll(images, spec.channels === 1 ? 1 : 3);
        const inputs = raws.map((r) => prepareImages([r], spec));
        setLoaded({
          ...loaded,
          names: [...loaded.names, ...images.map((i) => i.name)],
          inputs: [...loaded.inputs, ...inputs],
          pictures: [...loaded.pictures, ...inputs.map((t) => tensorToImage(t, spec))],
        });
        setPoints(undefined);
        return;
      }
      const onnx = modelFiles.find((f) => f.name.toLowerCase().endsWith('.onnx'));
      const model = onnx ? new Uint8Array(await onnx.arrayBuffer()) : await tfjsFromFiles(modelFiles);
      await openModel((onnx ?? modelFiles[0]).name, model, images);
    },
    [loaded, openModel],
  );

  // Predictions of the selected image.
  useEffect(() => {
    if (!loaded || !loaded.inputs[selected]) return;
    netlensWorker()
      .predict(loaded.inputs[selected])
      .then((p) => setPredictions(topK(p, 5, loaded.summary.labels)[0]))
      .catch(fail);
  }, [loaded, selected, fail]);

  const explain = useCallback(async () => {
    if (!loaded || !loaded.inputs[selected]) return;
    const id = ++latest.current;
    setError('');
    const options = parseOptions(explainer.options, forms[explainer.id] ?? {});
    if (target !== '') options.target = Number(target);
    if (layer && explainer.options.some((o) => o.key === 'featureLayer')) options.featureLayer = layer;
    const run = await netlensWorker().explain(
      explainer.id,
      loaded.inputs[selected],
      options,
      progress(explainer.title),
    );
    if (id !== latest.current) return;
    setResult({
      id,
      explainer,
      run,
      image: selected,
      caption: `${explainer.title} · ${run.descriptions[0] ?? ''}`,
    });
    setStatus('ready');
  }, [loaded, selected, explainer, forms, target, layer, progress]);

  useEffect(() => {
    explain().catch(fail);
    // Options typed in the form apply on "Explain"; image, method, class and layer re-run at once.
  }, [loaded, selected, methodId, target, layer]);

  const overlayOf = useCallback(
    (e: Explained) =>
      mapOverlay(e.explainer, e.run, 0, loaded!.pictures[e.image], {
        alpha: opacity,
        ...(colormap ? { colormap } : {}),
      }),
    [loaded, opacity, colormap],
  );
  const heatMap = useMemo(
    () => (result && loaded ? overlayOf(result) : undefined),
    [result, loaded, overlayOf],
  );

  const showActivations = async () => {
    if (!loaded) return;
    const acts = await netlensWorker().activations(loaded.inputs[selected], layer || undefined);
    const maps = channelMaps(acts).slice(0, 64);
    setActivationPicture(montage(maps, { thumbnailSize: { width: 32, height: 32 } }));
  };

  const embed = async () => {
    if (!loaded) return;
    const [first] = loaded.inputs;
    const size = first.data.length;
    const data = new Float32Array(size * loaded.inputs.length);
    loaded.inputs.forEach((t, i) => data.set(t.data, i * size));
    const batch = { data, dims: [loaded.inputs.length, ...first.dims.slice(1)] };
    const r = await netlensWorker().embed(
      batch,
      { layer: layer || undefined, method: projection, seed: 1 },
      progress('embedding'),
    );
    setPoints(
      Array.from({ length: r.n }, (_, i) => ({
        x: r.embedding[2 * i],
        y: r.embedding[2 * i + 1],
        index: i,
        cls: r.predicted?.[i],
      })),
    );
    setStatus('ready');
  };

  const labels = loaded?.summary.labels;
  return (
    <>
      <header>
        <h1>netlens explorer</h1>
        <span className="status" style={{ color: '#cde' }} data-testid="status">
          {status}
        </span>
      </header>
      <main>
        <div>
          <section>
            <h2>Model</h2>
            <label htmlFor="fixture">Bundled fixture</label>
            <select
              id="fixture"
              value={session?.fixtures.some((f) => f.name === loaded?.name) ? loaded?.name : ''}
              onChange={(e) => session && openFixture(session, e.target.value).catch(fail)}
            >
              <option value="">(other)</option>
              {session?.fixtures.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                </option>
              ))}
            </select>
            <label htmlFor="drop">Or drop a model (.onnx, TF.js model.json + .bin) and images</label>
            <input
              id="drop"
              type="file"
              multiple
              onChange={(e) => onDrop(Array.from(e.target.files ?? [])).catch(fail)}
            />
            <div
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                onDrop(Array.from(e.dataTransfer.files)).catch(fail);
              }}
              style={{
                border: '1px dashed #999',
                padding: 12,
                marginTop: 6,
                fontSize: 12,
                textAlign: 'center',
              }}
            >
              drop files here
            </div>
            {loaded && (
              <p className="status" data-testid="model-name">
                {loaded.name}
              </p>
            )}
          </section>
          <section>
            <h2>Images</h2>
            <div className="strip">
              {loaded?.pictures.map((p, i) => (
                <button
                  key={i}
                  className={i === selected ? 'selected' : ''}
                  title={loaded.names[i]}
                  data-testid={`image-${i}`}
                  onClick={() => setSelected(i)}
                >
                  <RawCanvas image={p} />
                </button>
              ))}
            </div>
          </section>
          <section>
            <h2>Predictions</h2>
            <ol className="predictions" data-testid="predictions">
              {predictions.map((p) => (
                <li key={p.index}>
                  {p.label ?? p.index}: {(100 * p.probability).toFixed(1)} %
                </li>
              ))}
            </ol>
          </section>
        </div>
        <div>
          <section>
            <h2>Explanation</h2>
            <div className="row">
              <div style={{ minWidth: 180 }}>
                <label htmlFor="method">Method</label>
                <select id="method" value={methodId} onChange={(e) => setMethodId(e.target.value)}>
                  {EXPLAINERS.map((e) => (
                    <option key={e.id} value={e.id}>
                      {e.id} — {e.title}
                    </option>
                  ))}
                </select>
              </div>
              <div style={{ minWidth: 140 }}>
                <label htmlFor="target">Target class</label>
                <select id="target" value={target} onChange={(e) => setTarget(e.target.value)}>
                  <option value="">predicted</option>
                  {labels?.map((l, i) => (
                    <option key={i} value={String(i)}>
                      {i}: {l}
                    </option>
                  ))}
                </select>
              </div>
              <div style={{ minWidth: 220 }}>
                <label htmlFor="layer">Layer</label>
                <select id="layer" value={layer} onChange={(e) => setLayer(e.target.value)}>
                  {loaded?.summary.layers.map((l) => (
                    <option key={l.name} value={l.name}>
                      {l.name} [{l.shape.join('×')}]
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <details>
              <summary>Options of {explainer.id}</summary>
              <MethodForm
                explainer={explainer}
                values={forms[explainer.id] ?? {}}
                onChange={(v) => setForms({ ...forms, [explainer.id]: v })}
              />
            </details>
            <div className="row" style={{ marginTop: 8 }}>
              <button onClick={() => explain().catch(fail)}>Explain</button>
              <label htmlFor="opacity">Opacity</label>
              <input
                id="opacity"
                type="range"
                min={0}
                max={1}
                step={0.05}
                value={opacity}
                onChange={(e) => setOpacity(Number(e.target.value))}
              />
              <label htmlFor="colormap">Colormap</label>
              <select
                id="colormap"
                value={colormap}
                onChange={(e) => setColormap(e.target.value as ColormapName | '')}
              >
                <option value="">method default</option>
                {COLORMAPS.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </div>
            {error && (
              <p className="error" data-testid="error">
                {error}
              </p>
            )}
            {heatMap && result && (
              <div className="row" style={{ alignItems: 'flex-start', marginTop: 8 }}>
                <RawCanvas image={heatMap} className="big" testId="heatmap" />
                <div>
                  <p data-testid="caption">{result.caption}</p>
                  <button
                    data-testid="download-png"
                    onClick={() => downloadPng(heatMap, `${result.explainer.id}.png`).catch(fail)}
                  >
                    Download PNG
                  </button>{' '}
                  <button
                    data-testid="download-json"
                    onClick={() =>
                      downloadJson(
                        result.run,
                        {
                          method: result.explainer.id,
                          image: loaded?.names[result.image],
                          model: loaded?.name,
                        },
                        `${result.explainer.id}.json`,
                      )
                    }
                  >
                    Download JSON
                  </button>{' '}
                  <button data-testid="compare" onClick={() => setCompared([...compared, result])}>
                    Add to side-by-side
                  </button>
                </div>
              </div>
            )}
          </section>
          {compared.length > 0 && loaded && (
            <section>
              <h2>Side by side</h2>
              <div className="panels" data-testid="side-by-side">
                {compared.map((c, i) => (
                  <div className="panel" key={i}>
                    <RawCanvas image={overlayOf(c)} />
                    {c.caption} ({loaded.names[c.image]})
                  </div>
                ))}
              </div>
              <button onClick={() => setCompared([])}>Clear</button>
            </section>
          )}
          <section>
            <h2>Activations</h2>
            <button data-testid="activations" onClick={() => showActivations().catch(fail)}>
              Show activations of {layer || 'the layer'}
            </button>
            {activationPicture && (
              <RawCanvas image={activationPicture} className="montage" testId="montage" />
            )}
          </section>
          <section>
            <h2>Embedding of the images</h2>
            <div className="row">
              <select value={projection} onChange={(e) => setProjection(e.target.value as 'tsne' | 'umap')}>
                <option value="tsne">t-SNE</option>
                <option value="umap">UMAP</option>
              </select>
              <button data-testid="embed" onClick={() => embed().catch(fail)}>
                Embed {loaded?.inputs.length ?? 0} images
              </button>
            </div>
            {points && loaded && (
              <Scatter
                points={points}
                pictures={loaded.pictures}
                names={loaded.names}
                labels={labels}
                onPick={(i) => setSelected(i)}
              />
            )}
          </section>
        </div>
      </main>
    </>
  );
}
