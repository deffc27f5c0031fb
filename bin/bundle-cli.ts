/**
 * Builds the `relay-audit` command into `dist/cli/`: one ESM bundle, split into chunks so each command
 * (and the store) loads only when used.
 *
 * Why bundle: unbundled, Node resolves and compiles ~150 modules (zod alone is dozens) on every
 * run; that start-up was a third of the time `analyze` took on a sample log. The AWS SDK and
 * dynalite (native LevelDB binding) stay external: they load only when a store is opened.
 *
 *     node dist/bin/bundle-cli.js [outdir]     # default dist/cli; run by `npm run build`
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from './support/package-root.js';

const ROOT = packageRoot();

/** Bundles the CLI from the TypeScript sources under `root` into `outdir`. */
export async function bundleCli(outdir: string, root = ROOT): Promise<void> {
  // Chunk names carry content hashes: clear out the previous build's.
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: [
      { in: 'bin/relay-audit.ts', out: 'relay-audit' },
      // The embedded store's engine thread is started from its own file, next to the chunks.
      { in: 'functions/store/engine-thread.ts', out: 'engine-thread' },
    ],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // Less to parse at start-up (~20 ms); identifiers are kept so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    external: ['dynalite', '@aws-sdk/*', '@smithy/*'],
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli(resolve(process.argv[2] ?? join(ROOT, 'dist', 'cli')));
}
