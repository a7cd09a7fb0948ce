// Drives the advertisers' page in Debian's headless Chromium (playwright-core, no downloaded browser) against a
// running service: signs in, uploads a CSV of clear e-mails and phone numbers through the page (one network failure
// on the way, answered by a retry of the same chunk), reads the page's reports, cancels a second upload after its
// first chunk, checks accessibility with axe-core and a 375 px wide screen, and proves from every captured request
// that no URL, header or body held an '@' or a clear phone number.
//
// Environment: BASE_URL, ADVERTISER_TOKEN, CSV_FILE (header "customer,E-mail,Mobile"), RESULT_FILE (JSON written
// here for the Java side: the page's report numbers), SEGMENT_ID (a TV segment), SCREENSHOT_DIR, CHROMIUM (default
// /usr/bin/chromium).
// Prints counts and rule names only, never a value from the file.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const BASE_URL = env('BASE_URL');
const TOKEN = env('ADVERTISER_TOKEN');
const CSV_FILE = env('CSV_FILE');
const RESULT_FILE = env('RESULT_FILE');
const SCREENSHOT_DIR = env('SCREENSHOT_DIR');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const LIST_NAME = 'Spring customers';

// --- What must never leave the page ------------------------------------------------------------------------------

/** The significant digits of every phone number in the file (Belgian numbers: the 9 after 0, 32 or 0032). */
function phoneDigitsOf(csvText) {
  const digits = new Set();
  for (const line of csvText.split('\n').slice(1)) {
    const cell = line.split(',')[2] ?? '';
    const all = cell.replace(/\D/g, '');
    if (all.length >= 9) digits.add(all.slice(-9));
  }
  return digits;
}

/**
 * Why a captured request leaks, or null. An upload body must be 64-hex digests only (one per line), which cannot hold
 * a clear value; everything else (URL, headers, other bodies) must hold no '@' (also URL-encoded) and no run of phone
 * characters whose digits contain a number from the file.
 */
function leakIn(request, phoneDigits) {
  const texts = [request.url, ...Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`)];
  if (request.body) {
    if (/\/members$/.test(new URL(request.url).pathname)) {
      if (!/^([0-9a-f]{64}\n)+$/.test(request.body)) return 'an upload body holds more than digests';
    } else {
      texts.push(request.body);
    }
  }
  for (const text of texts) {
    if (/@|%40/i.test(text)) return "an '@'";
    for (const run of text.match(/[+0-9][0-9 ./()\-]{7,}[0-9]/g) ?? []) {
      const digits = run.replace(/\D/g, '');
      for (let i = 0; i + 9 <= digits.length; i++) {
        if (phoneDigits.has(digits.slice(i, i + 9))) return 'a clear phone number';
      }
    }
  }
  return null;
}

function assert(condition, message) {
  if (!condition) {
    console.error(`FAILED: ${message}`);
    process.exit(1);
  }
}

const csvText = readFileSync(CSV_FILE, 'utf8');
const phoneDigits = phoneDigitsOf(csvText);
const firstPhone = csvText.split('\n')[1].split(',')[2];
// The check itself can fail: a request carrying a clear value, as a page without hashing would send, is caught.
assert(leakIn({ url: `${BASE_URL}/v1/audiences/x/members`, headers: {}, body: 'user1@example.be\n' }, phoneDigits),
  'the leak check misses a clear e-mail in an upload');
assert(leakIn({ url: `${BASE_URL}/v1/audiences`, headers: {}, body: `{"name":"${firstPhone}"}` }, phoneDigits),
  'the leak check misses a clear phone number in a body');
assert(leakIn({ url: `${BASE_URL}/v1/audiences?x=a%40b`, headers: {}, body: null }, phoneDigits),
  "the leak check misses an encoded '@' in a URL");

// --- The browser -------------------------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const captured = [];
const watch = (page) => {
  page.on('request', (request) => captured.push({ url: request.url(), headers: request.headers(),
    body: request.postData() }));
  page.on('dialog', (dialog) => dialog.accept());
  page.on('pageerror', (error) => {
    console.error(`page error: ${error.name}`);
    process.exitCode = 1;
  });
};

async function signIn(page) {
  await page.goto(`${BASE_URL}/advertiser/`);
  await page.getByLabel('Bearer token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#audiences').waitFor({ state: 'visible' });
  assert(await page.evaluate(() => localStorage.length === 0), 'the page wrote to localStorage');
}

async function waitForUploadEnd(page) {
  await page.waitForFunction(() => {
    const text = document.getElementById('status').textContent;
    return /valid|stopped|Cancelled/.test(text) && !document.getElementById('start-upload').disabled;
  }, null, { timeout: 180_000 });
  return page.locator('#status').textContent();
}

async function report(page, name) {
  const item = page.locator('li[data-audience-id]').filter({ has: page.getByRole('heading', { name, exact: true }) });
  await item.getByRole('button', { name: 'Show report' }).click();
  // The page marks the report busy while it asks, so the numbers read below are the new answer's.
  await item.locator('.report[aria-busy=false] dd[data-field=matched]').waitFor();
  const value = async (field) => item.locator(`dd[data-field=${field}]`).getAttribute('data-value');
  const numberOrNull = (v) => (v === '' ? null : Number(v));
  return {
    id: await item.getAttribute('data-audience-id'),
    received: Number(await value('received')),
    valid: Number(await value('valid')),
    plaintext_rejected: Number(await value('plaintext_rejected')),
    matched: numberOrNull(await value('matched')),
  };
}

const result = {};
try {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await desktop.newPage();
  watch(page);
  // A refused token signs out again and says so; the page then keeps nothing.
  await page.goto(`${BASE_URL}/advertiser/`);
  await page.getByLabel('Bearer token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => /refused/.test(document.getElementById('status').textContent));
  result.refusedTokenSignsOut = await page.locator('#sign-in').isVisible()
    && await page.evaluate(() => sessionStorage.length === 0);
  await signIn(page);

  // The first attempt of the second e-mail chunk fails as a dropped connection would; the page sends it again.
  let failedOnce = false;
  await page.route('**/members', async (route) => {
    const key = route.request().headers()['idempotency-key'];
    if (!failedOnce && key.endsWith('-0-2')) {
      failedOnce = true;
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });

  await page.getByLabel('Customer file (CSV, with a header row)').setInputFiles(CSV_FILE);
  await page.locator('#preview-rows tr').first().waitFor();
  assert(await page.locator('#email-column').inputValue() === '1', 'the e-mail column was not recognised');
  assert(await page.locator('#phone-column').inputValue() === '2', 'the phone column was not recognised');
  await page.getByLabel('Audience name').fill(LIST_NAME);
  await page.getByLabel('Channel').selectOption('tv');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'advertiser-page-preview.png'), fullPage: true });
  await page.getByRole('button', { name: 'Hash and upload' }).click();
  const status = await waitForUploadEnd(page);
  assert(/valid/.test(status) && !/stopped/.test(status), 'the upload did not finish');
  assert(failedOnce, 'the simulated network failure did not happen');
  await page.unroute('**/members');

  result.email = await report(page, `${LIST_NAME} (e-mail)`);
  result.phone = await report(page, `${LIST_NAME} (phone)`);
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'advertiser-page-desktop.png'), fullPage: true });

  // Refined by a segment typed by the user (advertisers cannot list segments).
  await page.getByLabel('Refine reports by segments (ids, comma-separated)').fill(` ${env('SEGMENT_ID')} `);
  result.emailInSegment = await report(page, `${LIST_NAME} (e-mail)`);
  await page.getByLabel('Refine reports by segments (ids, comma-separated)').fill('');

  // The same chunk went twice, under one Idempotency-Key; every chunk has its own key otherwise.
  const keys = captured.filter((r) => r.url.endsWith('/members')).map((r) => r.headers['idempotency-key']);
  result.uploadRequests = keys.length;
  result.distinctKeys = new Set(keys).size;

  // Cancel: the first chunk is held until Cancel is pressed; the upload then stops after that chunk.
  let release;
  let holding;
  const held = new Promise((resolve) => { release = resolve; });
  const firstHeld = new Promise((resolve) => { holding = resolve; });
  let first = true;
  await page.route('**/members', async (route) => {
    if (first) {
      first = false;
      holding();
      await held;
    }
    await route.continue();
  });
  await page.getByLabel('Phone column').selectOption('');
  await page.getByLabel('Audience name').fill('Cancelled list');
  await page.getByRole('button', { name: 'Hash and upload' }).click();
  await firstHeld;
  await page.getByRole('button', { name: 'Cancel' }).click();
  release();
  assert(/Cancelled/.test(await waitForUploadEnd(page)), 'the page does not say the upload was cancelled');
  await page.unroute('**/members');
  result.cancelled = await report(page, 'Cancelled list');

  // The privacy budget, as the service will answer it (issue 17): shown when present; a spent budget's 429 detail
  // is shown in place of the report. The answers are made up here, the service does not give them yet.
  await page.route('**/v1/privacy/budget', (route) => route.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ epsilon_per_question: 0.5, budget: 10.0, spent: 1.5, remaining: 8.5, window_days: 30,
      next_refill_at: '2026-12-31T00:00:00Z' }) }));
  const spent = 'The privacy budget of this advertiser is spent; it refills in 3 days.';
  await page.route(`**/v1/audiences/${result.cancelled.id}`, (route) => route.fulfill({ status: 429,
    contentType: 'application/problem+json', headers: { 'Retry-After': '259200' },
    body: JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429, detail: spent }) }));
  await page.getByRole('button', { name: 'Refresh list' }).click();
  await page.waitForFunction(() => /8\.5 of 10/.test(document.getElementById('budget').textContent));
  result.budgetShown = /next fresh question costs ε = 0\.5/.test(await page.locator('#budget').textContent());
  const cancelledItem = page.locator(`li[data-audience-id="${result.cancelled.id}"]`);
  await cancelledItem.getByRole('button', { name: 'Show report' }).click();
  await cancelledItem.locator('.report[aria-busy=false]').waitFor();
  result.spentBudgetShown = (await cancelledItem.getByRole('alert').textContent()) === spent;
  await page.unroute('**/v1/privacy/budget');
  await page.unroute(`**/v1/audiences/${result.cancelled.id}`);

  // Accessibility: axe-core's WCAG 2 A/AA rules on the signed-in page with reports shown.
  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const axe = await page.evaluate(() => window.axe.run(document,
    { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }));
  result.axeViolations = axe.violations.map((v) => v.id);
  // Every control is reachable by keyboard: tabbing from the top reaches the upload button.
  await page.goto(`${BASE_URL}/advertiser/`);
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'start-upload');
  }
  result.keyboardReachesUpload = reached;
  await desktop.close();

  // A phone-sized screen: nothing wider than 375 px.
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true,
    deviceScaleFactor: 1 });
  const small = await phone.newPage();
  watch(small);
  await signIn(small);
  await report(small, `${LIST_NAME} (e-mail)`);
  result.phoneOverflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await small.screenshot({ path: join(SCREENSHOT_DIR, 'advertiser-page-phone.png'), fullPage: true });
  await phone.close();

  // No request ever held a clear value.
  const leaks = captured.map((r) => leakIn(r, phoneDigits)).filter((why) => why !== null);
  result.requests = captured.length;
  result.leaks = leaks.length;
  assert(leaks.length === 0, `${leaks.length} requests held clear values (${[...new Set(leaks)].join(', ')})`);
} finally {
  await browser.close();
}
writeFileSync(RESULT_FILE, JSON.stringify(result));
console.log(`page test: ${result.requests} requests captured, ${result.uploadRequests} uploads, `
  + `${result.axeViolations.length} axe violations`);
