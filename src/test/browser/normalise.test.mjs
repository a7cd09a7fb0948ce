// Checks the page's normaliser (src/main/webapp-src/advertiser/normalise.js) against the table the Java normaliser is
// checked against (NormalisationCasesTest), and its WebCrypto digest against Node's own SHA-256.
// Exit status 0 when every case agrees. Prints case numbers only, never values.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { normalise, sha256Hex } from '../../main/webapp-src/advertiser/normalise.js';

const table = JSON.parse(readFileSync(fileURLToPath(new URL('../resources/normalisation-cases.json', import.meta.url)), 'utf8'));
const wrong = [];
for (const [index, c] of table.entries()) {
  const actual = normalise(c.type, c.input, c.country);
  if (actual !== c.normalised) {
    wrong.push(`case ${index} (${c.type})`);
    continue;
  }
  if (actual !== null) {
    const expected = createHash('sha256').update(actual, 'utf8').digest('hex');
    if ((await sha256Hex(actual)) !== expected) {
      wrong.push(`case ${index} (${c.type}, digest)`);
    }
  }
}
if (table.length < 30) {
  wrong.push('the table holds fewer than 30 cases');
}
if (wrong.length > 0) {
  console.error(`the page's normaliser differs from the shared table in ${wrong.join(', ')}`);
  process.exit(1);
}
console.log(`the page's normaliser agrees with the shared table on ${table.length} cases`);
