/**
 * Form values of an explainer's options → the option object the method takes. The form shows the catalog's
 * own keys and flags; an empty field means the method's default.
 */
import type { ExplainerOption } from '../../src/web/index';

export type FormValues = Record<string, string | boolean>;

function parseSize(text: string): number | [number, number] {
  const match = /^(\d+)\s*[xX×]\s*(\d+)$/.exec(text);
  if (match) return [Number(match[1]), Number(match[2])];
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`'${text}' is not a size (N or HxW)`);
  return n;
}

export function parseOptions(
  options: readonly ExplainerOption[],
  values: FormValues,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const option of options) {
    const raw = values[option.key];
    if (raw === undefined || raw === '' || raw === false) continue;
    if (option.kind === 'flag') {
      out[option.key] = raw === true;
      continue;
    }
    const text = String(raw).trim();
    if (option.allowAuto && text.toLowerCase() === 'auto') {
      out[option.key] = 'auto';
      continue;
    }
    switch (option.kind) {
      case 'int':
      case 'number': {
        const n = Number(text);
        if (!Number.isFinite(n)) throw new Error(`${option.flag}: '${text}' is not a number`);
        out[option.key] = n;
        break;
      }
      case 'numbers': {
        const list = text.split(',').map((v) => Number(v.trim()));
        if (list.some((v) => !Number.isFinite(v)))
          throw new Error(`${option.flag}: '${text}' is not a number list`);
        out[option.key] = list.length === 1 ? list[0] : list;
        break;
      }
      case 'size':
        out[option.key] = parseSize(text);
        break;
      default:
        out[option.key] = text;
    }
  }
  return out;
}
