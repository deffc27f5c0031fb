/**
 * The direction of the imports in `functions/core/`, read from the sources with the TypeScript
 * compiler's own import scanner (`import … from`, `export … from`, `import type`, `import('…')`):
 * - the core is pure: nothing in it imports the ingest/nightly/API functions, the store, the CLI,
 *   the CDK app, or an AWS SDK;
 * - the rooms of the core import only the rooms beneath them: `kernel/` (errors, strings) ←
 *   `text/` (bytes to text and CSV records) ← `organisation/` (the tenant's configuration) ←
 *   `analysis/` (logs to findings) and `readiness/` (configuration checks), which never import
 *   each other.
 * Import cycles themselves are Biome's `noImportCycles`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CORE = 'functions/core/';

/** Each room of the core and the rooms it may import (besides itself). */
const ROOMS: Readonly<Record<string, readonly string[]>> = {
  kernel: [],
  text: ['kernel'],
  organisation: ['kernel', 'text'],
  analysis: ['kernel', 'text', 'organisation'],
  readiness: ['kernel', 'text', 'organisation'],
};

function roomOf(file: string): string | undefined {
  return file.startsWith(CORE) ? file.slice(CORE.length).split('/')[0] : undefined;
}

/** Folders (relative to the project) the core must not import from. */
const FORBIDDEN_FOLDERS = [
  'functions/ingest/',
  'functions/nightly/',
  'functions/api/',
  'functions/store/',
  'bin/',
  'lib/',
];
/** Packages the core must not import. */
const FORBIDDEN_PACKAGES = [/^@aws-sdk\//, /^@smithy\//, /^aws-cdk-lib(\/|$)/];

interface ImportEdge {
  /** The importing file, relative to the project, `/`-separated. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** The imported file relative to the project for a relative specifier; `undefined` for a package. */
  to: string | undefined;
}

function projectPath(absolute: string): string {
  return relative(ROOT, absolute).split(sep).join('/');
}

/** `./x.js` → `x.ts`, `./dir` → `dir/index.ts`; `undefined` when no such source file exists. */
function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = resolve(ROOT, dirname(fromFile), specifier);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  const found = candidates.find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
  return found === undefined ? undefined : projectPath(found);
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => `${folder}${name.split(sep).join('/')}`)
    .sort();
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map(({ fileName: specifier }) => ({
    from: file,
    specifier,
    to: specifier.startsWith('.') ? resolveRelative(file, specifier) : undefined,
  }));
}

function describeEdges(edges: ImportEdge[]): string[] {
  return edges.map(({ from, specifier, to }) => `${from} → ${to ?? specifier} ('${specifier}')`);
}

const coreFiles = sourceFiles(CORE);
const coreEdges = coreFiles.flatMap(importsOf);

describe('import graph of functions/core', () => {
  it('reads the sources and resolves every relative import to a file', () => {
    expect(coreFiles.length).toBeGreaterThan(50);
    expect(coreEdges.filter((edge) => edge.to !== undefined).length).toBeGreaterThan(100);
    const unresolved = coreEdges.filter((edge) => edge.specifier.startsWith('.') && edge.to === undefined);
    expect(describeEdges(unresolved), 'relative imports that resolve to no .ts file').toEqual([]);
  });

  it('the core imports no function, store, CLI, CDK or AWS SDK code', () => {
    const offending = coreEdges.filter(({ specifier, to }) =>
      to === undefined
        ? FORBIDDEN_PACKAGES.some((pattern) => pattern.test(specifier))
        : FORBIDDEN_FOLDERS.some((folder) => to.startsWith(folder)),
    );
    expect(
      describeEdges(offending),
      `functions/core must stay pure: no imports from ${FORBIDDEN_FOLDERS.join(', ')}, @aws-sdk/*, @smithy/* or aws-cdk-lib`,
    ).toEqual([]);
  });

  it('every core file lives in a room', () => {
    const homeless = coreFiles.filter((file) => !Object.hasOwn(ROOMS, roomOf(file) ?? ''));
    expect(homeless, `files of functions/core outside ${Object.keys(ROOMS).join(', ')}`).toEqual([]);
  });

  it('each room imports only the rooms beneath it (analysis and readiness never each other)', () => {
    const offending = coreEdges.filter(({ from, to }) => {
      const fromRoom = roomOf(from);
      const toRoom = to === undefined ? undefined : roomOf(to);
      if (fromRoom === undefined || toRoom === undefined || fromRoom === toRoom) return false;
      return !(ROOMS[fromRoom] ?? []).includes(toRoom);
    });
    expect(
      describeEdges(offending),
      'a room imports a room it may not (move the shared piece down to a room both may import)',
    ).toEqual([]);
  });
});
