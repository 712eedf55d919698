import type { AttributeValue, GitAttributes } from './parse-gitattributes.js';

/** Directories whose files are someone else's code. */
const VENDORED_DIRECTORIES = ['node_modules', 'vendor', 'third_party'];
/** Directories whose files are made by a tool. */
const GENERATED_DIRECTORIES = ['dist', 'build', '__snapshots__'];

const LOCK_FILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'go.sum',
  'composer.lock',
  'Gemfile.lock',
]);

const GENERATED_NAMES: readonly { readonly test: RegExp; readonly what: string }[] = [
  { test: /\.min\.(?:js|mjs|css)$/, what: 'minified, *.min.js' },
  { test: /\.map$/, what: 'source map, *.map' },
  { test: /\.pb\.go$/, what: 'protobuf, *.pb.go' },
  { test: /_pb2(?:_grpc)?\.pyi?$/, what: 'protobuf, *_pb2.py' },
  { test: /.\.generated\../, what: '*.generated.*' },
];

/** How far into a file the markers are looked for. */
const HEAD_LINES = 20;

const MARKERS: readonly { readonly test: (line: string) => boolean; readonly what: string }[] = [
  { test: (line) => line.includes('@generated'), what: 'marker "@generated"' },
  {
    test: (line) => /Code generated .* DO NOT EDIT/.test(line),
    what: 'marker "Code generated … DO NOT EDIT"',
  },
  {
    test: (line) => line.includes('DO NOT EDIT') && /generated/i.test(line),
    what: 'marker "DO NOT EDIT" with "generated"',
  },
];

/**
 * Why a file is not worth reviewing as code, or undefined: vendored (someone else's code)
 * or generated (made by a tool), as its path says, as a marker in its first lines says
 * (`fileHeadContent`: the file's start, when known), or as `.gitattributes` says with
 * `linguist-vendored` / `linguist-generated`. The repository's attributes win both ways:
 * `dist/** -linguist-generated` has its dist/ reviewed.
 */
export function isGeneratedOrVendored(
  path: string,
  fileHeadContent?: string,
  attributes?: GitAttributes,
): string | undefined {
  const vendoredAttribute = linguistFlag(attributes?.get(path, 'linguist-vendored'));
  const generatedAttribute = linguistFlag(attributes?.get(path, 'linguist-generated'));
  if (vendoredAttribute === true) return 'vendored (.gitattributes: linguist-vendored)';
  if (generatedAttribute === true) return 'generated (.gitattributes: linguist-generated)';
  const directories = path.split('/').slice(0, -1);
  const name = path.split('/').at(-1) ?? path;
  if (vendoredAttribute !== false) {
    const vendored = VENDORED_DIRECTORIES.find((dir) => directories.includes(dir));
    if (vendored !== undefined) return `vendored (under ${vendored}/)`;
  }
  if (generatedAttribute === false) return undefined;
  const generated = GENERATED_DIRECTORIES.find((dir) => directories.includes(dir));
  if (generated !== undefined) return `generated (under ${generated}/)`;
  if (LOCK_FILES.has(name)) return `generated (lock file, ${name})`;
  const named = GENERATED_NAMES.find((rule) => rule.test.test(name));
  if (named !== undefined) return `generated (${named.what})`;
  const marker = fileHeadContent === undefined ? undefined : findMarker(fileHeadContent);
  return marker === undefined ? undefined : `generated (${marker} in its first lines)`;
}

function findMarker(content: string): string | undefined {
  const lines = content.split('\n', HEAD_LINES);
  return MARKERS.find((marker) => lines.some(marker.test))?.what;
}

/** Linguist's reading: set or "true" is true, unset or "false" is false. */
function linguistFlag(value: AttributeValue | undefined): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}
