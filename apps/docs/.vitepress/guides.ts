/**
 * The guides in reading order, with their titles in every language. The sidebars, the
 * "next/previous" links and the end-to-end test all follow this one list.
 */
export interface Guide {
  /** File name under `guide/` (and `zh/guide/`), without `.md`. */
  readonly slug: string;
  readonly en: string;
  readonly zh: string;
}

export interface GuideSection {
  readonly en: string;
  readonly zh: string;
  readonly guides: readonly Guide[];
}

export const guideSections: readonly GuideSection[] = [
  {
    en: 'Start here',
    zh: '从这里开始',
    guides: [
      { slug: 'getting-started', en: 'Getting started', zh: '快速开始' },
      { slug: 'why-sequences-are-hard', en: 'Why sequence modelling is hard', zh: '为什么序列建模很难' },
    ],
  },
  {
    en: 'Attention',
    zh: '注意力',
    guides: [
      { slug: 'attention-basics', en: 'The core idea of attention', zh: '注意力的核心思想' },
      { slug: 'score-functions', en: 'Score functions', zh: '打分函数' },
      { slug: 'soft-hard-self', en: 'Soft, hard and self-attention', zh: '软注意力、硬注意力与自注意力' },
      { slug: 'multi-head', en: 'Multi-head attention', zh: '多头注意力' },
      { slug: 'masks-and-positions', en: 'Masks and positions', zh: '掩码与位置' },
      { slug: 'efficient-attention', en: 'The quadratic cost and efficient variants', zh: '二次代价与高效变体' },
      { slug: 'attention-family', en: 'Entmax, monotonic and local attention', zh: 'Entmax、单调与局部注意力' },
    ],
  },
  {
    en: 'Models and applications',
    zh: '模型与应用',
    guides: [
      { slug: 'transformer', en: 'Transformer layers', zh: 'Transformer 层' },
      { slug: 'encoder-decoder', en: 'Attention in an RNN encoder–decoder', zh: 'RNN 编码器–解码器中的注意力' },
      { slug: 'applications', en: 'Translation, summarisation, speech', zh: '翻译、摘要与语音' },
      { slug: 'pointer-and-graph-attention', en: 'Location-aware, pointer and graph attention', zh: '位置感知注意力、指针注意力与图注意力' },
    ],
  },
  {
    en: 'Running and measuring',
    zh: '运行与测量',
    guides: [
      { slug: 'backends', en: 'Backends: CPU, WebAssembly, WebGL2, WebGPU', zh: '后端：CPU、WebAssembly、WebGL2、WebGPU' },
      { slug: 'benchmarks', en: 'Benchmarks: RNN vs attention', zh: '基准测试：RNN 与注意力' },
      { slug: 'faq', en: 'FAQ', zh: '常见问题' },
    ],
  },
];

/** Every guide, in reading order. */
export const guides: readonly Guide[] = guideSections.flatMap((section) => section.guides);
