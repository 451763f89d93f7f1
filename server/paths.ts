/** Where the package's own files are, from the compiled server (dist/server/*.js). */
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const paths = {
  root,
  workerScript: fileURLToPath(new URL('../worker/main.js', import.meta.url)),
  defaultProject: `${root}storage/projects/default`,
  panel: fileURLToPath(new URL('../panel/', import.meta.url)),
} as const;
