// Bundles the advertisers' page into the service's static resources (Quarkus serves META-INF/resources at /):
// node src/main/webapp-src/build.mjs OUTDIR   (the Maven build passes target/classes/META-INF/resources/advertiser)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = join(dirname(fileURLToPath(import.meta.url)), 'advertiser');
const out = resolve(process.argv[2] ?? 'target/classes/META-INF/resources/advertiser');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(source, 'main.js')],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2020'],
  outfile: join(out, 'app.js'),
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css']) {
  copyFileSync(join(source, file), join(out, file));
}
console.log(`advertiser page built into ${out}`);
