export * from './task.js';
export * from './baselines.js';
export { copyMemoryTask, type CopyMemoryOptions } from './copy-memory.js';
export { addingProblemTask } from './adding-problem.js';
export { associativeRecallTask, recallPairs, type AssociativeRecallOptions } from './associative-recall.js';
export { selectiveCopyingTask, type SelectiveCopyingOptions } from './selective-copying.js';
export { listOpsTask, evaluateListOps, formatListOps, listOpsTokens, randomListOps, LISTOPS_OPERATORS, LISTOPS_TOKENS, type ListOpsNode, type ListOpsOperator, type ListOpsOptions } from './listops.js';
