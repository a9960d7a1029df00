/**
 * The credential issuer (sans-IO). Its only state is the durable epoch counter of each extent;
 * `grant` makes the next epoch durable BEFORE it sends the credential (spec action Grant, and
 * the issuer half of MigrateGrant). A restart keeps the durable part (spec IssuerRestart).
 */
import { extentKey, signCredential, type Credential } from './credential.ts';
import type { GrantMsg } from './messages.ts';

export interface IssuerConfig {
  readonly id: string;
  readonly key: Uint8Array;
}
export interface IssuerDurable {
  /** The last epoch granted, per `volume/extent`. */
  readonly epochs: Readonly<Record<string, number>>;
}
export interface IssuerState {
  readonly config: IssuerConfig;
  readonly durable: IssuerDurable;
}

export type IssuerEffect =
  | { type: 'persist'; durable: IssuerDurable }
  | { type: 'send'; to: string; msg: GrantMsg };

export interface IssuerStep {
  state: IssuerState;
  effects: IssuerEffect[];
  credential: Credential;
}

export function initIssuer(config: IssuerConfig, durable?: IssuerDurable): IssuerState {
  return { config, durable: durable ?? { epochs: {} } };
}

/** The last epoch granted for an extent (0 before any grant). */
export function issuerEpoch(state: IssuerState, volume: string, extent: string): number {
  return state.durable.epochs[extentKey({ volume, extent })] ?? 0;
}

/** Grants `holder` the next epoch of the extent: persist the counter, then send. */
export function grant(
  state: IssuerState,
  input: { volume: string; extent: string; holder: string },
): IssuerStep {
  const key = extentKey(input);
  const epoch = (state.durable.epochs[key] ?? 0) + 1;
  const durable: IssuerDurable = { epochs: { ...state.durable.epochs, [key]: epoch } };
  const credential = signCredential(state.config.key, { ...input, epoch });
  if (credential.epoch <= issuerEpoch(state, input.volume, input.extent)) {
    throw new Error('assertion: epochs only grow');
  }
  return {
    state: { ...state, durable },
    effects: [
      { type: 'persist', durable },
      { type: 'send', to: input.holder, msg: { type: 'Grant', credential } },
    ],
    credential,
  };
}

/** The issuer crashes and restarts: it keeps exactly its durable state. */
export function issuerRestart(state: IssuerState): { state: IssuerState; effects: IssuerEffect[] } {
  return { state: initIssuer(state.config, state.durable), effects: [] };
}
