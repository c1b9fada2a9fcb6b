// Training worker bootstrap: worker threads do not inherit tsx's loader hooks on Node 20, so
// register them here before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
