/**
 * Labels of the live demos in each language of the site. A demo calls `useLabels()` and reads
 * `labels.value.someKey`; the page's language (`/zh/…` is Chinese) picks the table.
 */
import { computed, type ComputedRef } from 'vue';
import { useData } from 'vitepress';

const en = {
  run: 'Run',
  running: 'Running…',
  score: 'Score',
  weighting: 'Weighting',
  mask: 'Mask',
  heads: 'Heads',
  temperature: 'Temperature',
  sentence: 'Sentence',
  head: 'Head',
  query: 'query ↓',
  key: 'key →',
  computedIn: (ms: string) => `Computed in this page by heed in ${ms} ms.`,
  rowSums: 'Every unmasked row sums to 1.',
  scores: { dot: 'dot', scaledDot: 'scaled dot', cosine: 'cosine', general: 'general (Luong)', additive: 'additive (Bahdanau)' },
  weightings: { soft: 'soft (softmax)', sparsemax: 'sparsemax', hard: 'hard (argmax)', sample: 'hard (sampled)' },
  masks: { none: 'none', causal: 'causal', padding: 'padding (last 2)', window: 'local window (±1)' },
  error: 'The demo failed:',
  gradientFlow: 'Gradient norm ‖∂loss/∂xₜ‖ of a loss at the last step, per input position t',
  sequenceLength: 'Length T',
  ratio: 'last / first',
  distance: 'position t',
  alignment: 'Alignment of the attention decoder',
  trainSteps: 'Training steps',
  train: 'Train in this page',
  loadJson: 'Load a JSON file',
  source: 'Source',
  step: 'step',
  steps: 'steps',
  loss: 'loss',
  accuracy: 'accuracy',
  backend: 'Backend',
  runAll: 'Run on every backend',
  unavailable: 'unavailable',
  milliseconds: 'ms',
  size: 'Size',
  maxDifference: 'max |Δ| vs CPU',
  reason: 'reason',
  mode: 'Mode',
  time: 'Time',
  result: 'Result',
};

export type Labels = typeof en;

const zh: Labels = {
  run: '运行',
  running: '运行中…',
  score: '打分函数',
  weighting: '加权方式',
  mask: '掩码',
  heads: '头数',
  temperature: '温度',
  sentence: '句子',
  head: '头',
  query: '查询 ↓',
  key: '键 →',
  computedIn: (ms: string) => `由 heed 在本页中计算，用时 ${ms} 毫秒。`,
  rowSums: '每个未被掩蔽的行之和为 1。',
  scores: { dot: '点积', scaledDot: '缩放点积', cosine: '余弦', general: 'general（Luong）', additive: '加性（Bahdanau）' },
  weightings: { soft: '软（softmax）', sparsemax: 'sparsemax', hard: '硬（argmax）', sample: '硬（采样）' },
  masks: { none: '无', causal: '因果', padding: '填充（最后 2 个）', window: '局部窗口（±1）' },
  error: '演示出错：',
  gradientFlow: '最后一步损失对各位置输入的梯度范数 ‖∂loss/∂xₜ‖',
  sequenceLength: '长度 T',
  ratio: '末 / 首',
  distance: '位置 t',
  alignment: '注意力解码器的对齐矩阵',
  trainSteps: '训练步数',
  train: '在本页中训练',
  loadJson: '加载 JSON 文件',
  source: '来源',
  step: '步',
  steps: '步',
  loss: '损失',
  accuracy: '准确率',
  backend: '后端',
  runAll: '在每个后端上运行',
  unavailable: '不可用',
  milliseconds: '毫秒',
  size: '规模',
  maxDifference: '与 CPU 的最大误差',
  reason: '原因',
  mode: '模式',
  time: '耗时',
  result: '结果',
};

/** The demo labels for the current page's language. */
export function useLabels(): ComputedRef<Labels> {
  const { lang } = useData();
  return computed(() => (lang.value.startsWith('zh') ? zh : en));
}
