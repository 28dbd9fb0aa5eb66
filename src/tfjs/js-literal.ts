/**
 * A reader for JavaScript value literals (objects, arrays, strings, numbers, `!0`/`!1`, true/false/null)
 * as minifiers write them: unquoted keys, `.5`, `!1` for false. Used to read model JSON that packages
 * ship inside .js bundles without executing any of their code.
 */
import { ModelError } from '../errors.js';

export function parseJsLiteral(source: string, start = 0, what = 'bundle'): { value: unknown; end: number } {
  const p = new LiteralParser(source, start, what);
  const value = p.value();
  return { value, end: p.pos };
}

class LiteralParser {
  constructor(
    private readonly s: string,
    public pos: number,
    private readonly what: string,
  ) {}

  value(): unknown {
    this.space();
    const c = this.s[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"' || c === "'") return this.string();
    if (c === '!') {
      // Minified booleans: !0 is true, !1 is false.
      const d = this.s[this.pos + 1];
      if (d === '0' || d === '1') {
        this.pos += 2;
        return d === '0';
      }
    }
    if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, val] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['void 0', undefined],
    ] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return val;
      }
    }
    throw this.error('a value');
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++; // {
    this.space();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      const key = this.key();
      this.space();
      this.expect(':');
      out[key] = this.value();
      this.space();
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      return out;
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.pos++; // [
    this.space();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(']');
      return out;
    }
  }

  private key(): string {
    const c = this.s[this.pos];
    if (c === '"' || c === "'") return this.string();
    const m = /^[A-Za-z_$][\w$]*|^\d+/.exec(this.s.slice(this.pos, this.pos + 256));
    if (!m) throw this.error('an object key');
    this.pos += m[0].length;
    return m[0];
  }

  private string(): string {
    const quote = this.s[this.pos++];
    let out = '';
    for (;;) {
      const next = this.s.indexOf(quote, this.pos);
      const slash = this.s.indexOf('\\', this.pos);
      if (next < 0) throw this.error('the end of a string');
      if (slash < 0 || slash > next) {
        out += this.s.slice(this.pos, next);
        this.pos = next + 1;
        return out;
      }
      out += this.s.slice(this.pos, slash);
      const e = this.s[slash + 1];
      this.pos = slash + 2;
      if (e === 'u') {
        out += String.fromCharCode(parseInt(this.s.slice(this.pos, this.pos + 4), 16));
        this.pos += 4;
      } else if (e === 'x') {
        out += String.fromCharCode(parseInt(this.s.slice(this.pos, this.pos + 2), 16));
        this.pos += 2;
      } else {
        out +=
          ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' } as Record<string, string>)[
            e
          ] ?? e;
      }
    }
  }

  private number(): number {
    const m = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) throw this.error('a number');
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private space(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private expect(c: string): void {
    if (this.s[this.pos] !== c) throw this.error(`'${c}'`);
    this.pos++;
  }

  private error(expected: string): ModelError {
    const context = this.s.slice(this.pos, this.pos + 30);
    return new ModelError(
      'INVALID_MODEL',
      `${this.what}: expected ${expected} at offset ${this.pos}, found ${JSON.stringify(context)}`,
    );
  }
}
