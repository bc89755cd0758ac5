// Helpers for the browser tests: a phone-sized headless Debian Chromium with a fresh profile,
// logging in, reading lists, screenshots and valid Chinese ID numbers (GB 11643).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BASE = process.env.E2E_BASE_URL || 'http://127.0.0.1:8099';
export const SHOTS = process.env.E2E_SCREENSHOTS || '';
export const PASSWORD = 'doorstep-demo';
export const COMMUNITY = '二七区/京广路街道/祥云社区';

const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** A fresh browser (own temporary profile) showing a 390×844 phone, with or without JavaScript.
 * Close with `close()`. */
export async function phone({ locale = 'zh-CN', javaScript = true } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'doorstep-e2e-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale,
    javaScriptEnabled: javaScript,
    timezoneId: 'Asia/Shanghai',
  });
  ctx.setDefaultTimeout(15_000);
  ctx.setDefaultNavigationTimeout(20_000);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const close = async () => {
    await ctx.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, page, close };
}

/** Opens `p` and waits for the page to be there. */
export async function go(page, p) {
  return page.goto(BASE + p);
}

/** Logs in through the form the way a person would and lands on the home page. */
export async function login(page, username) {
  await go(page, '/login');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main form button[type=submit]')]);
}

/** Types `q` into the search box of the current page and submits it. */
export async function search(page, q) {
  await page.fill('#q', q);
  await Promise.all([page.waitForURL(/\/search\?/), page.press('#q', 'Enter')]);
}

/** The result list of a search page: name, address, id number, href of each person. */
export async function results(page) {
  return page.$$eval('ul.people > li > a', (as) =>
    as.map((a) => {
      const lines = a.innerText.split('\n').map((s) => s.trim());
      const mono = [...a.querySelectorAll('.mono')].map((m) => m.textContent.trim());
      return {
        name: a.querySelector('strong')?.textContent.trim() ?? '',
        address: lines[1] ?? '',
        idNumber: mono[0] ?? '',
        href: a.getAttribute('href'),
      };
    }),
  );
}

/** The visible text of the page's main part. */
export const mainText = (page) => page.locator('main').innerText();

/** The visible text of the header. */
export const headerText = (page) => page.locator('header').innerText();

/** A phone-sized screenshot into docs/screenshots (when run by run.sh); `fullPage` keeps the
 * phone's width and takes the whole height. */
export async function shot(page, name, { fullPage = false } = {}) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name), fullPage, animations: 'disabled', caret: 'hide' });
}

/** The 18th character of a resident ID number (GB 11643-1999) for its first 17 digits. */
export function idCheckChar(body17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body17[i]) * w[i];
  return '10X98765432'[sum % 11];
}

/** A valid ID number for region, birth date (YYYYMMDD) and 3-digit sequence. */
export function idNumber(region, birth, seq) {
  const body = `${region}${birth}${seq}`;
  return body + idCheckChar(body);
}

/** The same ID number with a wrong check character. */
export function withWrongCheck(id) {
  const right = id[17];
  const wrong = right === '1' ? '2' : '1';
  return id.slice(0, 17) + wrong;
}

/** Runs axe-core (from node_modules, injected through the debugging protocol, so the page's
 * CSP stays as served) on the page and fails with every violation found. */
export async function axeCheck(page, what) {
  const src = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  await page.evaluate(src);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  if (found.length) throw new Error(`axe on ${what}: ${found.length} violation(s)\n  ${found.join('\n  ')}`);
}

/** Runs `fn` with a fresh phone browser (see `phone`) and always closes it. */
export async function withPhone(opts, fn) {
  const b = await phone(opts);
  try {
    return await fn(b.page);
  } finally {
    await b.close();
  }
}

/** A JSON API call as the given bearer token (none: as anyone); fails unless it succeeds. */
export async function api(token, p, init = {}) {
  const res = await fetch(BASE + '/api/v1' + p, {
    ...init,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
  });
  const body = await res.json().catch(() => null);
  assert.ok(res.ok, `${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A bearer token of a demo user, logged in over the API. */
export async function apiLogin(username) {
  const { token } = await api(null, '/auth/login', {
    method: 'POST',
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  return token;
}

/** Follows the menu entry `text` the way a person would: from the header's bar, or from "全部功能"
 * (opened first) when the menu is long and the entry is not in the bar. */
export async function menu(page, text) {
  const inBar = page.locator('nav.menu > a', { hasText: text });
  if (await inBar.count()) return inBar.first().click();
  await page.locator('nav.menu details.all > summary').click();
  return page.locator('nav.menu .groups a', { hasText: text }).first().click();
}
