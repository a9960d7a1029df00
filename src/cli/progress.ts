/**
 * Progress for long runs: one line rewritten in place on a TTY (stderr), nothing when stderr is
 * not a terminal or CI is set, so logs and `--json` output stay clean.
 */
export interface Progress {
  update(text: string): void;
  /** A line that stays (e.g. one finished item). */
  log(text: string): void;
  done(): void;
}

export function progressFor(stream: NodeJS.WriteStream = process.stderr): Progress {
  const live = Boolean(stream.isTTY) && !process.env.CI;
  let shown = false;
  let lastMs = 0;
  const clear = (): void => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(text) {
      if (!live) return;
      const nowMs = Date.now();
      if (nowMs - lastMs < 100) return;
      lastMs = nowMs;
      clear();
      const width = Math.max(20, (stream.columns ?? 100) - 1);
      stream.write(text.length > width ? `${text.slice(0, width - 1)}…` : text);
      shown = true;
    },
    log(text) {
      if (!live) return;
      clear();
      stream.write(`${text}\n`);
    },
    done() {
      clear();
    },
  };
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}
