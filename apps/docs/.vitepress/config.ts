import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import markdownItKatexModule from '@vscode/markdown-it-katex';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { guideSections } from './guides.js';

/** The site is served from `/` unless `DOCS_BASE` says otherwise (e.g. `/heed/` on GitHub Pages). */
// The plugin is CommonJS: its function sits on `.default` when loaded from ESM.
const markdownItKatex = ((markdownItKatexModule as unknown as { default?: typeof markdownItKatexModule }).default ?? markdownItKatexModule);

const base = process.env.DOCS_BASE ?? '/';
const repository = 'https://github.com/heed-js/heed';
const isolationHeaders = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The API sidebar that `scripts/api.mjs` (TypeDoc) writes; absent until the API pages are generated. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url));
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
}

function guideSidebar(language: 'en' | 'zh'): DefaultTheme.SidebarItem[] {
  const prefix = language === 'en' ? '/guide/' : '/zh/guide/';
  return guideSections.map((section) => ({
    text: section[language],
    items: section.guides.map((guide) => ({ text: guide[language], link: `${prefix}${guide.slug}` })),
  }));
}

const api = apiSidebar();
const apiSection = (text: string): DefaultTheme.SidebarItem => ({ text, link: '/api/', items: api, collapsed: false });

export default defineConfig({
  base,
  title: 'heed',
  description: 'Attention mechanisms and recurrent baselines for sequence modelling in TypeScript',
  cleanUrls: true,
  srcExclude: ['README.md', 'snippets/**', 'test/**', 'scripts/**'],
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: `${base}logo.svg` }]],
  markdown: {
    config(md) {
      // The plugin's bundled markdown-it types lag VitePress's; the runtime API is the same.
      md.use(markdownItKatex as unknown as Parameters<typeof md.use>[0], { throwOnError: true, enableMathBlockInHtml: true });
      // A line break inside a paragraph becomes a space: Vue's template compiler drops
      // whitespace that contains a newline between two elements ("*keys* $k_1$" → "keysk₁").
      md.renderer.rules.softbreak = () => ' ';
    },
  },
  vite: {
    // Demos bundle the heed packages from their TypeScript sources, as the tests do.
    resolve: { conditions: ['@heed/source'] },
    ssr: { noExternal: [/^@heed\//], resolve: { conditions: ['@heed/source'], externalConditions: ['@heed/source'] } },
    build: { chunkSizeWarningLimit: 2000 },
    // Cross-origin isolation gives the page SharedArrayBuffer, so heed's WebAssembly kernels can
    // use worker threads in the demos (static hosts need the same two headers to get threads).
    server: { headers: isolationHeaders },
    preview: { headers: isolationHeaders },
  },
  locales: {
    root: {
      label: 'English',
      lang: 'en-US',
      themeConfig: {
        nav: [
          { text: 'Guide', link: '/guide/getting-started', activeMatch: '/guide/' },
          { text: 'API', link: '/api/', activeMatch: '/api/' },
          { text: 'Benchmarks', link: '/guide/benchmarks' },
        ],
        sidebar: {
          '/guide/': [...guideSidebar('en'), apiSection('API reference')],
          '/api/': [apiSection('API reference'), ...guideSidebar('en').map((section) => ({ ...section, collapsed: true }))],
        },
        editLink: { pattern: `${repository}/edit/main/apps/docs/:path`, text: 'Edit this page' },
      },
    },
    zh: {
      label: '简体中文',
      lang: 'zh-CN',
      link: '/zh/',
      description: '用 TypeScript 实现的序列建模注意力机制与循环网络基线',
      themeConfig: {
        nav: [
          { text: '指南', link: '/zh/guide/getting-started', activeMatch: '/zh/guide/' },
          { text: 'API', link: '/api/', activeMatch: '/api/' },
          { text: '基准测试', link: '/zh/guide/benchmarks' },
        ],
        sidebar: { '/zh/guide/': [...guideSidebar('zh'), apiSection('API 参考（英文）')] },
        editLink: { pattern: `${repository}/edit/main/apps/docs/:path`, text: '在 GitHub 上编辑此页' },
        outline: { label: '本页目录' },
        docFooter: { prev: '上一页', next: '下一页' },
        lastUpdated: { text: '最后更新' },
        returnToTopLabel: '回到顶部',
        sidebarMenuLabel: '菜单',
        darkModeSwitchLabel: '外观',
        langMenuLabel: '语言',
      },
    },
  },
  themeConfig: {
    logo: '/logo.svg',
    socialLinks: [{ icon: 'github', link: repository }],
    search: {
      provider: 'local',
      options: {
        locales: {
          zh: { translations: { button: { buttonText: '搜索', buttonAriaLabel: '搜索' }, modal: { noResultsText: '没有结果', resetButtonTitle: '清除', footer: { selectText: '选择', navigateText: '切换', closeText: '关闭' } } } },
        },
      },
    },
    footer: { message: 'MIT licensed', copyright: 'heed contributors' },
  },
});
