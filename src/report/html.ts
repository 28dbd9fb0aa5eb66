/** Small HTML building blocks for the self-contained report (everything inlined, no external assets). */

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

export function img(png: Uint8Array, alt: string, width?: number): string {
  const w = width ? ` width="${width}"` : '';
  return `<img src="${pngDataUri(png)}" alt="${escapeHtml(alt)}"${w}>`;
}

export function figure(png: Uint8Array, caption: string, width?: number): string {
  return `<figure>${img(png, caption, width)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td>${escapeHtml(typeof c === 'number' ? formatNumber(c) : c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return x.toFixed(4);
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1b1b1b;background:#fafafa}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}
.meta{color:#555;font-size:.9rem}
nav a{margin-right:1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
th{background:#f0f0f0}
.row{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
figure{margin:0;text-align:center}figcaption{font-size:.8rem;color:#444;max-width:260px}
img{image-rendering:pixelated;border:1px solid #ccc;background:#fff}
.skip{color:#777;font-style:italic}
.card{font-size:.75rem;color:#333;max-width:260px;text-align:center}
`;

export interface PageSection {
  id: string;
  title: string;
  html: string;
}

export function page(title: string, meta: string, sections: readonly PageSection[]): string {
  const nav = sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections
    .map((s) => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><p class="meta">${meta}</p><nav>${nav}</nav>
${body}
</body></html>
`;
}
