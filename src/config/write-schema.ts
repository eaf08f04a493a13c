import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/** JSON Schema for editors (YAML language servers pick it up via the `# yaml-language-server` comment). */
export function configJsonSchema(): object {
  return { title: 'Patrol configuration', ...z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = new URL('../../config/schema.json', import.meta.url);
  writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(out)}`);
}
