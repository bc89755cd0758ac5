// Sampling points and materials (采样点、物资) on phones: the community admin adds a sampling
// point to a round over 佳纷天地 from the round's page, staffed by the demo sampler; the
// transport group (demo-transporter) hands it a range of tube codes (after a backwards range
// is refused at its field), two box codes and swabs; the sampler's page has the point chosen
// already, a tube of the batch scans silently and a tube outside it is recorded with a
// warning; the transport group's page shows the point short of tube codes, and returns and
// spoilage make the day balance. Each run makes its own round and codes, so it can run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, phone, shot } from '../lib.mjs';

const T = { timeout: 180_000 };
const COMPOUND = `${COMMUNITY}/佳纷天地`;

/** Two persons of 佳纷天地 with resident ID numbers, read in full as the community admin. */
async function persons(token) {
  const list = await api(token, `/persons?area=${encodeURIComponent(COMPOUND)}&per_page=40`);
  const out = [];
  for (const p of list.items) {
    if (out.length === 2) break;
    const full = await api(token, `/persons/${p.id}?reveal=true`);
    if (/^\d{17}[\dX]$/.test(full.id_number)) out.push({ name: full.name, idNumber: full.id_number });
  }
  assert.equal(out.length, 2);
  return out;
}

/** Nothing on the page is wider than the phone. */
async function fits(page) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 1, `the page scrolls sideways by ${wide}px`);
}

test('a point gets its materials, a scan outside its batch warns, the day reconciles', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const people = await persons(token);
  const stamp = Date.now().toString(36).toUpperCase();
  const round = await api(token, '/rounds', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, name: `e2e 物资 ${stamp}`, pool_size: 10, areas: [COMPOUND] }),
  });
  await api(token, `/rounds/${round.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'open' }) });
  const pointName = `东门 ${stamp}`;
  let pointUrl = '';

  // The community admin adds the point from the round's page.
  const a = await phone();
  try {
    const { page } = a;
    await login(page, 'demo-community-admin');
    await go(page, `/rounds/${round.id}`);
    await Promise.all([page.waitForURL(/\/points$/), page.locator('main a', { hasText: '采样点' }).first().click()]);
    assert.match(await mainText(page), /本轮还没有采样点/);
    await page.fill('#p-name', pointName);
    await page.selectOption('#p-place', COMPOUND);
    await page.fill('#p-staff', 'demo-sampler');
    await Promise.all([page.waitForURL(/\/points\/\d+$/), page.click('main form[action$="/points"] button[type=submit]')]);
    pointUrl = new URL(page.url()).pathname;
    assert.match(await mainText(page), new RegExp(pointName));
    assert.match(await mainText(page), /demo-sampler/);
    await go(page, `/rounds/${round.id}/points`);
    assert.match(await mainText(page), new RegExp(pointName));
    await axeCheck(page, 'the points page');
    await fits(page);
    await shot(page, 'materials-points.png', { fullPage: true });
  } finally {
    await a.close();
  }

  // The transport group hands out tube codes (a backwards range first), box codes, swabs.
  const t = await phone();
  try {
    const { page } = t;
    await login(page, 'demo-transporter');
    await go(page, pointUrl);
    await page.selectOption('#b-kind', 'tube');
    await page.fill('#b-codes', `M${stamp}0020-M${stamp}0001`);
    await page.click('form[action$="/batches"] button[type=submit]');
    await page.locator('.field.invalid .error').first().waitFor();
    assert.match(await page.locator('.field.invalid .error').first().innerText(), /号段应为/);
    assert.equal(await page.inputValue('#b-codes'), `M${stamp}0020-M${stamp}0001`, 'what was typed is kept');
    await axeCheck(page, 'the point page with an error');
    await fits(page);
    await shot(page, 'materials-error.png', { fullPage: true });
    await page.fill('#b-codes', `M${stamp}0001-M${stamp}0020`);
    await Promise.all([page.waitForURL(/\/points\/\d+\?day=/), page.click('form[action$="/batches"] button[type=submit]')]);
    await page.selectOption('#b-kind', 'box');
    await page.fill('#b-codes', `B${stamp}01\nB${stamp}02`);
    await Promise.all([page.waitForURL(/\/points\/\d+\?day=/), page.click('form[action$="/batches"] button[type=submit]')]);
    await page.selectOption('#b-kind', 'swab');
    await page.fill('#b-quantity', '100');
    await Promise.all([page.waitForURL(/\/points\/\d+\?day=/), page.click('form[action$="/batches"] button[type=submit]')]);
    const text = await mainText(page);
    assert.match(text, new RegExp(`M${stamp}0001–M${stamp}0020`));
    assert.match(text, /转运箱码 × 2/);
  } finally {
    await t.close();
  }

  // The sampler: the point is chosen already; one tube of the batch, one outside it.
  const s = await phone();
  try {
    const { page } = s;
    await login(page, 'demo-sampler');
    await go(page, `/rounds/${round.id}/sample`);
    const chosen = await page.locator('#s-point option:checked').innerText();
    assert.equal(chosen, pointName, 'the sampler staffs this point only');
    const scan = async (tube, person) => {
      await page.fill('#s-tube', tube);
      await page.press('#s-tube', 'Enter');
      await page.waitForFunction(() => document.activeElement?.id === 's-person');
      await page.keyboard.type(person.idNumber);
      await page.keyboard.press('Enter');
    };
    await scan(`M${stamp}0001`, people[0]);
    await page.waitForFunction(() => document.getElementById('queue').hidden && document.getElementById('cur-count').textContent === '1');
    assert.equal(await page.locator('#msg .refusal').count(), 0, 'no warning for a tube of the batch');
    // Close it by hand and take a tube from elsewhere.
    page.once('dialog', (d) => d.accept());
    await page.click('#close-btn');
    await page.locator('#msg', { hasText: '已封管' }).waitFor();
    await scan(`X${stamp}0001`, people[1]);
    await page.locator('#msg', { hasText: '不在本采样点领取的号段内' }).waitFor();
    assert.match(await page.locator('#recent').innerText(), /⚠ 号段外/);
    await fits(page);
    await shot(page, 'materials-sample-warning.png', { fullPage: true });
    // It was recorded all the same: the API says so.
    const tubes = await api(token, `/rounds/${round.id}/tubes`);
    assert.ok(tubes.items.some((x) => x.code === `X${stamp}0001`), 'the tube outside the batch is open with its scan');
  } finally {
    await s.close();
  }

  // The transport group's page: tube codes run low (19 of 20 left, under 20); then the day's
  // returns and spoilage balance it.
  const t2 = await phone();
  try {
    const { page } = t2;
    await login(page, 'demo-transporter');
    await go(page, `/rounds/${round.id}/materials`);
    const card = page.locator('section.point', { hasText: pointName });
    assert.match(await card.innerText(), /物资不足，请补充：试管码/);
    assert.match(await card.locator('tr.low').innerText(), /试管码/);
    await axeCheck(page, 'the transport group page');
    await fits(page);
    await shot(page, 'materials-transport.png', { fullPage: true });
    await go(page, pointUrl);
    await page.selectOption('#c-kind', 'tube');
    await page.fill('#c-returned', '10');
    await page.fill('#c-spoiled', '9');
    await Promise.all([page.waitForURL(/\/points\/\d+\?day=/), page.click('form[action$="/counts"] button[type=submit]')]);
    const row = await page.locator('table.ledger tbody tr', { hasText: '试管码' }).innerText();
    assert.match(row, /20\s+1\s+10\s+9\s+0 ✓/);
    await axeCheck(page, 'the point page');
    await fits(page);
    await shot(page, 'materials-point.png', { fullPage: true });
  } finally {
    await t2.close();
  }
  const m = await api(token, `/rounds/${round.id}/materials`);
  const tube = m.items[0].ledgers.find((l) => l.kind === 'tube');
  assert.deepEqual([tube.issued, tube.used, tube.returned, tube.spoiled, tube.balanced], [20, 1, 10, 9, true]);
});
