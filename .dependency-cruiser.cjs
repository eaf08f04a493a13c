// The import rule of src/: each folder imports itself and the folders before it in scripts/stage-order.cjs.
// Run by `npm run lint:deps` (part of `npm test`); there are no exceptions.
const order = require('./scripts/stage-order.cjs');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = (stage) => `^${escape(stage.path)}${stage.path.endsWith('/') ? '' : '$'}`;

const later = order.map((stage, i) => ({
  name: `${stage.name}-looks-back-only`,
  comment: `${stage.path} may import only what comes before it in scripts/stage-order.cjs`,
  severity: 'error',
  from: { path: pattern(stage) },
  to: { path: order.slice(i + 1).map(pattern) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...later.filter((rule) => rule.to.path.length > 0),
    {
      name: 'no-circular',
      comment: 'a cycle inside a folder hides which module is the base one',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-stands-alone',
      comment: 'the product must not need its tests, benchmarks or fixture generators',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|fixtures|scripts)/' },
    },
    {
      name: 'known-folder',
      comment: 'a new folder under src/ needs its place in scripts/stage-order.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: order.map(pattern) },
      to: {},
    },
    {
      name: 'resolvable',
      comment: 'an import that does not resolve is a typo or a missing dependency',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a stage that needs another's types depends on it as much as on its code.
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.ts$' },
  },
};
