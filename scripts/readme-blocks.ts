/**
 * The code blocks of the workspace's READMEs, and the two checks every one of them must pass:
 * it type-checks against the workspace packages (resolved through the `@heed/source` condition,
 * as the unit tests are) and it runs. `readme-blocks.test.ts` drives them; new blocks are found
 * on every run.
 *
 * Which blocks: every fenced block whose language is `ts`, `typescript`, `js` or `javascript` in
 * the root `README.md` and in `packages/<name>/README.md` and `apps/<name>/README.md`, numbered
 * from 1 per file in that order (other languages are not counted). A block is one ES module as
 * written: it must import and declare everything it uses, and top-level `await` is allowed.
 *
 * Fence markers (after the language, like ```` ```ts no-run ````):
 * - `no-run`: type-checked but not run, for a fragment that must read as one. Use it sparingly.
 * - `no-check`: neither checked nor run (for deliberately wrong code, such as a shown mistake).
 *
 * Blocks run with the folder of fixture files `scripts/readme-fixtures/` copied into their working
 * directory, so a block may read a file that a README's Python block writes (the fixtures are made
 * by that folder's `generate.py`, with PyTorch).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** One code block of a README. */
export interface ReadmeBlock {
  /** The README, relative to the repository root (`packages/rnn/README.md`). */
  readonly file: string;
  /** 1-based among the file's TS/JS blocks. */
  readonly index: number;
  /** 1-based line of the block's first code line in the README. */
  readonly line: number;
  readonly language: 'ts' | 'js';
  /** Fence markers after the language (`no-run`, `no-check`). */
  readonly markers: readonly string[];
  readonly code: string;
}

const languages: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };
const knownMarkers = new Set(['no-run', 'no-check']);

/** The READMEs whose blocks are checked, relative to the root, in a stable order. */
export function readmeFiles(): string[] {
  const files = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  for (const folder of ['packages', 'apps']) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (existsSync(join(base, name, 'README.md'))) files.push(`${folder}/${name}/README.md`);
    }
  }
  return files;
}

/** The TS/JS blocks of one README (CommonMark fences of three or more backticks or tildes). */
export function extractBlocks(file: string, text: string): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  let open: { fence: string; indent: number; language: string; markers: string[]; start: number; body: string[] } | null = null;
  for (let number = 0; number < lines.length; number++) {
    const line = lines[number];
    if (open === null) {
      const match = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(line);
      if (match) open = { fence: match[2], indent: match[1].length, language: match[3].toLowerCase(), markers: match[4].split(/[\s,]+/).filter(Boolean), start: number + 2, body: [] };
      continue;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
      const language = languages[open.language];
      if (language) {
        const unknown = open.markers.filter((marker) => !knownMarkers.has(marker));
        if (unknown.length > 0) throw new Error(`${file} line ${open.start - 1}: unknown fence marker ${unknown.join(', ')} (known: ${[...knownMarkers].join(', ')})`);
        blocks.push({ file, index: blocks.length + 1, line: open.start, language, markers: open.markers, code: open.body.join('\n') });
      }
      open = null;
      continue;
    }
    const indent = open.indent;
    open.body.push(line.replace(new RegExp(`^ {0,${indent}}`), ''));
  }
  return blocks;
}

/** Every block of every README. */
export function allBlocks(): ReadmeBlock[] {
  return readmeFiles().flatMap((file) => extractBlocks(file, readFileSync(join(root, file), 'utf8')));
}

/** `packages/rnn/README.md block #2 (line 57)`. */
export function blockName(block: ReadmeBlock): string {
  return `${block.file} block #${block.index} (line ${block.line})`;
}

/**
 * The scratch folder the blocks are written to and run in: `.tmp/readme-blocks-<pid>`
 * (git-ignored; one per process, so two runs at once do not clash). `removeScratch` deletes it.
 */
export const scratch = join(root, '.tmp', `readme-blocks-${process.pid}`);

/** Deletes the scratch folder. */
export function removeScratch(): void {
  rmSync(scratch, { recursive: true, force: true });
}

/** Where a block is written: `<scratch>/packages-rnn-README-2.ts`. */
export function blockPath(block: ReadmeBlock): string {
  const slug = block.file.replace(/\.md$/, '').replace(/[^\w]+/g, '-');
  return join(scratch, `${slug}-${block.index}.${block.language === 'ts' ? 'ts' : 'mjs'}`);
}

/**
 * Writes the blocks into a fresh scratch folder whose `node_modules/@heed/<name>` link to the
 * workspace packages (so `@heed/*` resolves through each package's `exports`, `@heed/source`
 * first), and copies the fixture files beside them. Each block gets a trailing `export {}` so it
 * is a module even when it imports nothing.
 */
export function prepareScratch(blocks: readonly ReadmeBlock[]): void {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(scratch, 'node_modules', '@heed'), { recursive: true });
  for (const name of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const packageName = (JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name;
    if (packageName.startsWith('@heed/')) symlinkSync(join(root, 'packages', name), join(scratch, 'node_modules', packageName), 'dir');
  }
  const fixtures = join(root, 'scripts', 'readme-fixtures');
  if (existsSync(fixtures)) {
    for (const name of readdirSync(fixtures)) if (!name.endsWith('.py') && !name.endsWith('.md')) cpSync(join(fixtures, name), join(scratch, name));
  }
  for (const block of blocks) writeFileSync(blockPath(block), `${block.code}\nexport {};\n`);
}

/**
 * Type-checks the blocks in one TypeScript program with the workspace's compiler options
 * (`tsconfig.base.json`: strict, `customConditions: ['@heed/source']`). Only the blocks' own
 * diagnostics are asked for, so the packages' sources are read but not checked again. Returns the
 * error messages per block, each naming the README line.
 */
export function typeCheck(blocks: readonly ReadmeBlock[]): Map<ReadmeBlock, string[]> {
  const configFile = join(root, 'tsconfig.base.json');
  const config = ts.readConfigFile(configFile, (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, { noEmit: true, allowJs: true, checkJs: true, declaration: false, declarationMap: false, sourceMap: false }, configFile);
  const checked = blocks.filter((block) => !block.markers.includes('no-check'));
  const program = ts.createProgram(checked.map(blockPath), parsed.options);
  const result = new Map<ReadmeBlock, string[]>();
  for (const block of checked) {
    const source = program.getSourceFile(blockPath(block));
    if (!source) {
      result.set(block, [`${blockPath(block)} was not read`]);
      continue;
    }
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    result.set(
      block,
      diagnostics.map((diagnostic) => {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        if (diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
        const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start);
        return `${block.file}:${block.line + line}:${character + 1} TS${diagnostic.code}: ${message}`;
      }),
    );
  }
  return result;
}

/** What running a block gave: `error` is null when it ran to the end. */
export interface RunResult {
  readonly error: string | null;
  readonly output: string;
  readonly milliseconds: number;
}

/**
 * Runs one block in a worker thread of this process (its own module graph and globals, so a
 * block that calls `setBackend` changes nothing for the next), with TypeScript loaded by tsx and
 * the `@heed/source` condition. The worker is terminated after `timeout` ms, so a hang fails.
 */
export function runBlock(block: ReadmeBlock, timeout: number): Promise<RunResult> {
  const started = Date.now();
  const worker = new Worker(join(root, 'scripts', 'readme-block-worker.mjs'), {
    workerData: { file: blockPath(block) },
    execArgv: ['--conditions=@heed/source'],
    stdout: true,
    stderr: true,
  });
  const chunks: string[] = [];
  worker.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ error, output: chunks.join(''), milliseconds: Date.now() - started });
    };
    const timer = setTimeout(() => {
      finish(`timed out after ${timeout} ms (terminated)`);
      void worker.terminate();
    }, timeout);
    worker.on('error', (error: Error) => finish(describeError(block, error)));
    worker.on('exit', (code) => finish(code === 0 ? null : `exited with code ${code}`));
  });
}

/** The error's name and message, and where in the README it was thrown (from the stack). */
function describeError(block: ReadmeBlock, error: Error): string {
  const path = blockPath(block);
  const at = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(error.stack ?? '');
  const where = at ? ` (at ${block.file}:${block.line + Number(at[1]) - 1}:${at[2]})` : '';
  return `${error.name}: ${error.message}${where}`;
}
