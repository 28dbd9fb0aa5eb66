/** A canvas showing a RawImage pixel for pixel (CSS scales it). */
import { useEffect, useRef } from 'react';
import { toRgba, type RawImage } from '../../src/web/index';

export function RawCanvas(props: { image: RawImage; className?: string; testId?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    canvas.width = props.image.width;
    canvas.height = props.image.height;
    const ctx = canvas.getContext('2d');
    ctx?.putImageData(new ImageData(toRgba(props.image), props.image.width, props.image.height), 0, 0);
  }, [props.image]);
  return <canvas ref={ref} className={props.className} data-testid={props.testId} />;
}
