// Runs one README block (see readme-blocks.ts) in a worker thread: TypeScript through tsx, the
// package sources through the `@heed/source` condition given in the worker's execArgv.
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(pathToFileURL(workerData.file).href);
