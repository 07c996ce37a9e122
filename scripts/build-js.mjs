// Every library package's JavaScript (its tsup config without declarations: what each package's
// `build:js` script builds), one package after the other in this one process. The CLI's tests
// need only these files; eight `pnpm run build:js` tasks each paid for a pnpm, a node and a tsup
// start of their own, which cost more than the builds.
// Usage: node scripts/build-js.mjs   (turbo's //#build:js, a dependency of the CLI's tests)
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const packages = fileURLToPath(new URL('../packages/', import.meta.url));
for (const p of readdirSync(packages).sort()) {
  // tsup reads the package's tsup.config.ts and resolves its entries from the working directory;
  // esbuild's default working directory is the one it was loaded in, so it is given each time
  // (no package's tsup config has esbuildOptions of its own, which this would replace)
  const dir = packages + p;
  process.chdir(dir);
  await build({ dts: false, silent: true, esbuildOptions: (o) => void (o.absWorkingDir = dir) });
}
