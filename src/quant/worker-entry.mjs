// Entry for pool workers when running from TypeScript source. Node 20 does not carry tsx's ES module hooks
// into worker threads, and piscina's fallback (require() through tsx's CommonJS hooks) turns every imported
// function into a getter call, which makes the hot loops about 20 times slower. So the worker registers tsx's
// ESM hooks itself and imports the TypeScript worker as an ES module.
import { register } from 'tsx/esm/api';

register();
const { default: run } = await import('./worker.ts');
export default run;
