import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import 'katex/dist/katex.min.css';
import './style.css';
import AttentionHeatmap from './components/AttentionHeatmap.vue';
import AlignmentMatrix from './components/AlignmentMatrix.vue';
import BackendSwitch from './components/BackendSwitch.vue';
import BenchReport from './components/BenchReport.vue';
import GradientFlow from './components/GradientFlow.vue';
import TinyLanguageModel from './components/TinyLanguageModel.vue';

/** heed's docs theme: VitePress's default theme plus the live demos, usable in any page. */
const theme: Theme = {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('AttentionHeatmap', AttentionHeatmap);
    app.component('AlignmentMatrix', AlignmentMatrix);
    app.component('BackendSwitch', BackendSwitch);
    app.component('BenchReport', BenchReport);
    app.component('GradientFlow', GradientFlow);
    app.component('TinyLanguageModel', TinyLanguageModel);
  },
};

export default theme;
