/** Record n of the crash test: its number and a length that varies (0..300 filler bytes). */
export function payload(n: number): Uint8Array {
  return Buffer.from(`record-${n}-${'x'.repeat((n * 37) % 301)}`, 'utf8');
}
