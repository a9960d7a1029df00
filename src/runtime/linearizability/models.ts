/**
 * Small sequential models for tests and examples: a read/write register and a
 * compare-and-swap register.
 */
import type { SequentialModel } from './types.ts';

export type RegisterInput = { type: 'read' } | { type: 'write'; value: number };
export type RegisterOutput = { type: 'read'; value: number } | { type: 'written' };

/** A register holding a number, initially 0. */
export const registerModel: SequentialModel<number, RegisterInput, RegisterOutput> = {
  init: () => 0,
  step(state, input, output) {
    switch (input.type) {
      case 'read':
        if (output === undefined) return { ok: true, state };
        return { ok: output.type === 'read' && output.value === state, state };
      case 'write':
        return { ok: output === undefined || output.type === 'written', state: input.value };
      default: {
        const never: never = input;
        throw new Error(`assertion failed: input ${String(never)}`);
      }
    }
  },
  stateKey: (s) => String(s),
};

export type CasInput =
  | { type: 'read' }
  | { type: 'write'; value: number }
  | { type: 'cas'; expected: number; value: number };
export type CasOutput = { type: 'read'; value: number } | { type: 'written' }
  | { type: 'cas'; swapped: boolean };

/** A compare-and-swap register, initially 0. */
export const casModel: SequentialModel<number, CasInput, CasOutput> = {
  init: () => 0,
  step(state, input, output) {
    switch (input.type) {
      case 'read':
        if (output === undefined) return { ok: true, state };
        return { ok: output.type === 'read' && output.value === state, state };
      case 'write':
        return { ok: output === undefined || output.type === 'written', state: input.value };
      case 'cas': {
        const swapped = state === input.expected;
        const next = swapped ? input.value : state;
        if (output === undefined) return { ok: true, state: next };
        return { ok: output.type === 'cas' && output.swapped === swapped, state: next };
      }
      default: {
        const never: never = input;
        throw new Error(`assertion failed: input ${String(never)}`);
      }
    }
  },
  stateKey: (s) => String(s),
};
