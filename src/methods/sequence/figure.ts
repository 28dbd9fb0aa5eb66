/**
 * Pictures of one sequence as vega-lite specs: the input channels plotted over time, and under it a heat map
 * over the same time axis (an attribution map time × channel or one row per step, or a layer's units × time).
 */
import type { TopLevelSpec } from 'vega-lite';

export interface SequencePanelInput {
  /** T × C values, time-major. */
  values: Float32Array;
  length: number;
  channels: number;
  channelNames?: readonly string[];
}

export interface HeatRows {
  /** rows × T values, row-major. */
  data: ArrayLike<number>;
  rows: number;
  /** Name of each row (channels, units, or one 'attribution' row). */
  rowNames: readonly string[];
  /** Title of the row axis. */
  rowTitle: string;
  /** Signed data: diverging colours symmetric around 0. */
  signed: boolean;
  legend: string;
}

const WIDTH = 560;

function channelName(input: SequencePanelInput, c: number): string {
  return input.channelNames?.[c] ?? `ch${c}`;
}

/** The input channels as lines over time. */
function inputPanel(input: SequencePanelInput): Record<string, unknown> {
  const rows: Record<string, number | string>[] = [];
  for (let t = 0; t < input.length; t++) {
    for (let c = 0; c < input.channels; c++) {
      rows.push({ step: t, value: input.values[t * input.channels + c], channel: channelName(input, c) });
    }
  }
  return {
    width: WIDTH,
    height: 140,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1 },
    encoding: {
      x: {
        field: 'step',
        type: 'quantitative',
        title: null,
        scale: { domain: [0, input.length - 1], nice: false },
      },
      y: { field: 'value', type: 'quantitative', title: 'input' },
      color: {
        field: 'channel',
        type: 'nominal',
        sort: null,
        legend: input.channels <= 16 ? { title: 'channel', columns: 2 } : null,
      },
    },
  };
}

/** Rows × time as coloured cells sharing the input's time axis. */
function heatPanel(heat: HeatRows): Record<string, unknown> {
  const length = Math.round(heat.data.length / heat.rows);
  const rows: Record<string, number | string>[] = [];
  let max = 0;
  for (let r = 0; r < heat.rows; r++) {
    for (let t = 0; t < length; t++) {
      const value = heat.data[r * length + t];
      max = Math.max(max, Math.abs(value));
      rows.push({ step: t, row: heat.rowNames[r], value });
    }
  }
  const scale = heat.signed
    ? { scheme: 'redblue', reverse: true, domain: [-max || -1, max || 1] }
    : { scheme: 'viridis' };
  return {
    width: WIDTH,
    height: Math.min(320, Math.max(24, heat.rows * 12)),
    data: { values: rows },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'step',
        type: 'quantitative',
        bin: { step: 1 },
        title: 'time step',
        scale: { domain: [0, length], nice: false },
      },
      x2: { field: 'end' },
      y: {
        field: 'row',
        type: 'ordinal',
        sort: null,
        title: heat.rowTitle,
        axis: heat.rows > 24 ? { labels: false, ticks: false } : {},
      },
      color: { field: 'value', type: 'quantitative', scale, title: heat.legend },
    },
    transform: [{ calculate: 'datum.step + 1', as: 'end' }],
  };
}

/** Input channels above, the heat map under them, on one time axis. */
export function sequenceFigureSpec(input: SequencePanelInput, heat: HeatRows, title: string): TopLevelSpec {
  const heatLayer = heatPanel(heat);
  // Rect cells run from step to step + 1: drop the bin and use explicit x/x2.
  const encoding = heatLayer.encoding as Record<string, Record<string, unknown>>;
  delete encoding.x.bin;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, anchor: 'start', fontSize: 12 },
    vconcat: [inputPanel(input), heatLayer],
    spacing: 6,
    resolve: { scale: { color: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: null } },
  } as unknown as TopLevelSpec;
}

/** An attribution map [T, Cm] (Cm = C: one row per channel; Cm = 1: one row) as heat rows (row-major). */
export function attributionRows(
  map: { data: ArrayLike<number>; dims: readonly number[] },
  input: SequencePanelInput,
  signed: boolean,
  legend: string,
): HeatRows {
  const [t, cm] = map.dims.slice(-2);
  const data = new Float32Array(cm * t);
  for (let s = 0; s < t; s++) for (let c = 0; c < cm; c++) data[c * t + s] = map.data[s * cm + c];
  const rowNames = cm === 1 ? ['all channels'] : Array.from({ length: cm }, (_, c) => channelName(input, c));
  return { data, rows: cm, rowNames, rowTitle: cm === 1 ? '' : 'channel', signed, legend };
}
