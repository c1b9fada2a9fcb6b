// A throwaway npm registry for the install test: Verdaccio on 127.0.0.1 at a free port, its
// config and storage in a folder the caller owns. `@heed/*` is served only from what we publish
// (never proxied, so a same-named package elsewhere cannot leak in); everything else is proxied
// from the registry npm is configured with on this machine, read at run time.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { root } from './published-packages.mjs';

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `fetch` with a few retries: undici may reuse a keep-alive socket the registry has just
 * closed ("other side closed") after a long idle spell.
 */
export async function fetchWithRetry(url, attempts = 3) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fetch(url);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** The registry npm uses here (`npm config get registry`), with a trailing slash. */
export function upstreamRegistry() {
  const result = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' });
  const url = result.stdout?.trim();
  if (result.status !== 0 || !/^https?:\/\//.test(url ?? '')) throw new Error(`npm config get registry failed: ${result.stderr}`);
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Starts Verdaccio with its config, storage and log under `folder`, on a free port (a few tries,
 * in case another process takes the port between choosing it and listening on it).
 * @returns {Promise<{ url: string, port: number, authFlag: string, log: () => string, stop: () => Promise<void>, stopSync: () => void }>}
 */
export async function startRegistry(folder) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(folder);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error?.message))) throw error;
    }
  }
}

async function startOnce(folder) {
  mkdirSync(join(folder, 'storage'), { recursive: true });
  const upstream = upstreamRegistry();
  const config = join(folder, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(folder, 'storage'))}`,
      'uplinks:',
      '  upstream:',
      `    url: ${JSON.stringify(upstream)}`,
      '    timeout: 120s',
      '    max_fails: 5',
      'packages:',
      "  '@heed/*':",
      '    access: $all',
      '    publish: $anonymous',
      '    unpublish: $anonymous',
      "  '**':",
      '    access: $all',
      '    proxy: upstream',
      'web:',
      '  enable: false',
      'max_body_size: 200mb',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const logFile = join(folder, 'verdaccio.log');
  const logFd = openSync(logFile, 'w');
  // Verdaccio exits when its stdin closes, so it dies with this process even on SIGKILL.
  const watchdog = join(folder, 'exit-with-parent.cjs');
  writeFileSync(watchdog, "process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();\n");
  const child = spawn(process.execPath, ['--require', watchdog, join(root, 'node_modules/verdaccio/bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: folder,
    stdio: ['pipe', logFd, logFd],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  closeSync(logFd); // the child has its own copy
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.on('exit', () => resolve((exited = true))));
  const log = () => readFileSync(logFile, 'utf8');
  const stopSync = () => {
    if (!exited) child.kill('SIGKILL');
  };
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exitedPromise;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Verdaccio exited at start:\n${log()}`);
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Verdaccio did not answer on ${url} within 60 s:\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, port, upstream, authFlag: `--//127.0.0.1:${port}/:_authToken=anonymous`, log, stop, stopSync };
}
