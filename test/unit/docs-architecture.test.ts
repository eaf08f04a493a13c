import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DOC, REPO, renderSection, stageImports, withSection } from '../../scripts/arch-graph.js';

describe('docs/ARCHITECTURE.md', () => {
  it('shows the stage order and the imports the code has', () => {
    const doc = readFileSync(DOC, 'utf8');
    const section = renderSection();
    const [begin, end] = [section.split('\n')[0]!, section.split('\n').at(-1)!];
    const committed = doc.slice(doc.indexOf(begin), doc.indexOf(end) + end.length);
    expect(committed, 'docs/ARCHITECTURE.md is stale: run `npx tsx scripts/arch-graph.ts --write` and commit it').toBe(section);
  });
});

describe('arch-graph', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A tiny repository with the real stage order and the given source files. */
  function repo(files: Record<string, string>): string {
    root = mkdtempSync(join(tmpdir(), 'arch-graph-'));
    cpSync(join(REPO, 'scripts/stage-order.cjs'), join(root, 'scripts/stage-order.cjs'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  const importsOf = (dir: string, name: string) => stageImports(dir).find((r) => r.stage.name === name)!.imports.map((s) => s.name);

  it('finds static, type-only, re-exported and dynamic imports, and ignores its own folder and packages', () => {
    const dir = repo({
      'src/contracts/frame.ts': 'export interface Frame { t: number }\n',
      'src/geometry/box.ts': 'export const area = 1;\n',
      'src/errors.ts': 'export class PatrolError extends Error {}\n',
      'src/config/schema.ts': 'export const x = 1;\n',
      'src/score/scorer.ts': [
        "import { z } from 'zod';",
        "import type { Frame } from '../contracts/frame.js';",
        "export { area } from '../geometry/box.js';",
        "import { x } from '../config/schema.js';",
        "import { y } from './rules.js';",
        "const later = () => import('../errors.js');",
      ].join('\n'),
      'src/score/rules.ts': 'export const y = 2;\n',
    });
    expect(importsOf(dir, 'score')).toEqual(['contracts', 'errors', 'geometry', 'config']);
    expect(importsOf(dir, 'config')).toEqual([]);
  });

  it('refuses a source folder that has no place in the stage order', () => {
    const dir = repo({ 'src/newstage/thing.ts': 'export const a = 1;\n' });
    expect(() => stageImports(dir)).toThrow(/src\/newstage\/thing\.ts: its folder is not in scripts\/stage-order\.cjs/);
  });

  it('replaces only the generated section of a document, and says so when the markers are missing', () => {
    const section = renderSection(repo({ 'src/contracts/frame.ts': 'export {};\n' }));
    const [begin, end] = [section.split('\n')[0]!, section.split('\n').at(-1)!];
    const doc = `# Title\n\nbefore\n\n${begin}\nstale table\n${end}\n\nafter\n`;
    expect(withSection(doc, section)).toBe(`# Title\n\nbefore\n\n${section}\n\nafter\n`);
    expect(() => withSection('# no markers\n', section)).toThrow(/markers of the generated section are missing/);
  });
});
