#!/usr/bin/env -S node --initial-old-space-size=128
// The flag is the camera workers' heap floor (src/pipeline/heap-floor.ts); `env -S` splits it off the interpreter.
// Runs the TypeScript CLI through tsx, so `npx patrol …` works from a checkout without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
