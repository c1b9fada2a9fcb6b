/**
 * `@heed/attention`: attention for sequence models on `@heed/tensor`.
 *
 * Dimension legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim,
 * `E` model width, `T` time steps.
 *
 * @packageDocumentation
 */

// Masks: one vocabulary for every attention function (true = may attend).
export {
  additiveMask,
  causalMask,
  combineMasks,
  normalizeMask,
  paddingMask,
  type AttentionMask,
  type MaskOptions,
  type NormalizeMaskOptions,
  type NormalizedMask,
} from './masks.js';
