// The examples import heed through the published package names, like any user would.
export { Adam, Generator, clipGradNorm, crossEntropy, manualSeed, saveSafetensors, Vocabulary } from '@heed/tensor';
export type { ScoreName } from '@heed/scoring';
