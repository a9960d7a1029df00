import type { ClusterConfig } from '../../src/fencing/index.ts';

export const KEY = new TextEncoder().encode('fencing-test-key-0123456789abcdef');
export const OTHER_KEY = new TextEncoder().encode('another-key-that-is-not-the-right');

/** The bounds of spec/fencing/Replay.cfg. */
export const REPLAY_CONFIG: ClusterConfig = {
  sleds: ['s1', 's2'],
  heads: ['h1', 'h2'],
  values: ['v1'],
  w: 2,
  f: 1,
  maxEpoch: 2,
  maxSeq: 1,
  maxCrashes: 1,
  maxMsgs: 6,
  key: KEY,
  volume: 'vol',
  extent: '0',
};

/** The bounds of spec/fencing/MC.cfg, without the message bound (random walks). */
export const WALK_CONFIG: ClusterConfig = {
  sleds: ['s1', 's2', 's3'],
  heads: ['h1', 'h2', 'h3'],
  values: ['v1', 'v2'],
  w: 2,
  f: 2,
  maxEpoch: 4,
  maxSeq: 4,
  maxCrashes: 2,
  key: KEY,
  volume: 'vol',
  extent: '0',
};
