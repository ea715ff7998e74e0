// `npm run build`, after `tsc -b`: copies every package's `src/**/*.lua` to the same place under its
// `dist/`, beside the compiled module that loads it (loadScript in @wxq/redis reads the file at
// `new URL('./lua/<name>.lua', import.meta.url)`); tsc copies only what it compiles.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let copied = 0;
for (const group of ['apps', 'libs']) {
  for (const name of readdirSync(join(root, group))) {
    const src = join(root, group, name, 'src');
    if (!existsSync(src)) continue;
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.lua')) continue;
      const target = join(root, group, name, 'dist', file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(src, file), target);
      copied += 1;
    }
  }
}
console.log(`copy-lua-files: ${String(copied)} .lua files copied into dist/`);
