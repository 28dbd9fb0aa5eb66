/** The t-SNE / UMAP scatter of the sample set: a thumbnail on hover, click-through to the item. */
import { useState } from 'react';
import type { RawImage } from '../../src/web/index';
import { RawCanvas } from './RawCanvas';

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const SIZE = 360;
const PAD = 16;

export interface ScatterPoint {
  x: number;
  y: number;
  index: number;
  cls?: number;
}

export function Scatter(props: {
  points: readonly ScatterPoint[];
  pictures: readonly RawImage[];
  names: readonly string[];
  labels?: readonly string[];
  onPick: (index: number) => void;
}) {
  const [hover, setHover] = useState<{ point: ScatterPoint; left: number; top: number } | null>(null);
  const xs = props.points.map((p) => p.x);
  const ys = props.points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => PAD + ((x - x0) / (x1 - x0 || 1)) * (SIZE - 2 * PAD);
  const sy = (y: number) => PAD + ((y - y0) / (y1 - y0 || 1)) * (SIZE - 2 * PAD);
  return (
    <div className="scatter">
      <svg width={SIZE} height={SIZE} data-testid="scatter" style={{ border: '1px solid #ddd' }}>
        {props.points.map((p) => (
          <circle
            key={p.index}
            data-index={p.index}
            cx={sx(p.x)}
            cy={sy(p.y)}
            r={6}
            fill={COLORS[(p.cls ?? 0) % COLORS.length]}
            stroke="#333"
            style={{ cursor: 'pointer' }}
            onMouseEnter={() => setHover({ point: p, left: sx(p.x) + 10, top: sy(p.y) + 10 })}
            onMouseLeave={() => setHover(null)}
            onClick={() => props.onPick(p.index)}
          />
        ))}
      </svg>
      {hover && (
        <div className="tip" data-testid="scatter-tip" style={{ left: hover.left, top: hover.top }}>
          <RawCanvas image={props.pictures[hover.point.index]} />
          {props.names[hover.point.index]}
          {hover.point.cls !== undefined && (
            <div>predicted {props.labels?.[hover.point.cls] ?? hover.point.cls}</div>
          )}
        </div>
      )}
    </div>
  );
}
