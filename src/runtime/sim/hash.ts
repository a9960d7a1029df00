/**
 * An incremental 64-bit hash (two 32-bit multiply-xor lanes) of the event log: two runs with
 * equal hashes produced the same events, field for field and in the same key order (up to
 * collisions). It walks values directly (no JSON text is built), folding a type tag before each
 * value so that `1` and `"1"` differ. Not cryptographic; it only detects divergence between runs.
 */
const P1 = 0x9e37_79b1;
const P2 = 0x5f35_6495;

export class LogHasher {
  private h1 = 0xdead_beef | 0;
  private h2 = 0x41c6_ce57 | 0;

  /** Folds one record (plain data: objects, arrays, strings, numbers, booleans, bigints). */
  add(record: unknown): void {
    this.value(record, 0);
    this.word(0x0a);
  }

  /** Folds a string. */
  addText(text: string): void {
    let h1 = this.h1 ^ text.length;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, P1);
      h2 = Math.imul(h2 ^ c, P2);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** The hash so far, 16 lowercase hex digits. */
  digest(): string {
    let a = this.h1;
    let b = this.h2;
    a = Math.imul(a ^ (a >>> 16), 0x85eb_ca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2_ae35);
    b = Math.imul(b ^ (b >>> 16), 0x85eb_ca6b) ^ Math.imul(a ^ (a >>> 13), 0xc2b2_ae35);
    return hex32(a) + hex32(b);
  }

  private word(x: number): void {
    this.h1 = Math.imul(this.h1 ^ x, P1);
    this.h2 = Math.imul(this.h2 ^ x, P2);
  }

  private value(v: unknown, depth: number): void {
    if (depth > 64) throw new Error('assertion: event nesting deeper than 64 (a cycle?)');
    switch (typeof v) {
      case 'number':
        if ((v | 0) === v) {
          this.word(1);
          this.word(v);
        } else {
          this.word(2);
          this.addText(String(v));
        }
        return;
      case 'string':
        this.word(3);
        this.addText(v);
        return;
      case 'boolean':
        this.word(v ? 4 : 5);
        return;
      case 'undefined':
        this.word(6);
        return;
      case 'bigint':
        this.word(7);
        this.addText(v.toString());
        return;
      case 'object':
        this.object(v, depth);
        return;
      default:
        this.word(12);
        this.addText(String(v));
    }
  }

  private object(v: object | null, depth: number): void {
    if (v === null) {
      this.word(8);
      return;
    }
    if (Array.isArray(v)) {
      this.word(9);
      this.word(v.length);
      for (const x of v) this.value(x, depth + 1);
      return;
    }
    this.word(10);
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
      this.addText(key);
      this.value((v as Record<string, unknown>)[key], depth + 1);
    }
    this.word(11);
  }
}

function hex32(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}

/** JSON text of a value; bigint becomes a decimal string with an `n` (plain JSON throws). */
export function stableJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? `${v.toString()}n` : v,
    );
  }
}
