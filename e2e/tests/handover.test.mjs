// The handover (交接单) on phones: a round of single tubes over 佳纷天地 fills two boxes that the
// sampler seals (API); the transporter sees them on 待转运, ticks both, fills in carrier and
// lab and signs; the lab scans each box code, sees its sealed count, is refused a short count
// without a note, explains it and receives; the slip then carries both signatures and prints
// on one A4 page. The round is this test's own, so no counts other tests read change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 120_000 };
const COMPOUND = `${COMMUNITY}/佳纷天地`;

test('boxes go from the sampling point to the lab on a signed slip', T, async () => {
  const admin = await apiLogin('demo-community-admin');
  const sampler = await apiLogin('demo-sampler');
  const tag = Date.now().toString(36).toUpperCase();
  const round = await api(admin, '/rounds', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, name: `e2e 交接 ${tag}`, pool_size: 1, areas: [COMPOUND] }),
  });
  await api(admin, `/rounds/${round.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'open' }) });
  const list = await api(admin, `/persons?area=${encodeURIComponent(COMPOUND)}&per_page=3`);
  assert.equal(list.items.length, 3);
  const boxA = `HOA${tag}`;
  const boxB = `HOB${tag}`;
  const r = `/rounds/${round.id}`;
  for (const [i, p] of list.items.entries()) {
    const tube = `HOT${i}${tag}`;
    await api(sampler, `${r}/scans`, {
      method: 'POST',
      body: JSON.stringify({ client_id: `ho-${tag}-${i}`, tube, person: { person_id: p.id } }),
    });
    const box = i < 2 ? boxA : boxB;
    await api(sampler, `${r}/boxes`, { method: 'POST', body: JSON.stringify({ code: box }) });
    await api(sampler, `${r}/boxes/${box}/tubes`, { method: 'POST', body: JSON.stringify({ tube }) });
  }
  for (const box of [boxA, boxB]) await api(sampler, `${r}/boxes/${box}/seal`, { method: 'POST' });

  // The transporter: the waiting boxes, two ticked, the slip signed.
  let slipUrl = '';
  const t = await phone();
  try {
    const { page } = t;
    await login(page, 'demo-transporter');
    await menu(page, '待转运');
    await page.waitForURL(/\/transport$/);
    const text = await mainText(page);
    assert.match(text, new RegExp(boxA));
    assert.match(text, new RegExp(boxB));
    await page.locator('label.ho-pick', { hasText: boxA }).locator('input').check();
    await page.locator('label.ho-pick', { hasText: boxB }).locator('input').check();
    await page.fill('#f-carrier', '李师傅 13700000000');
    await page.fill('#f-lab', '金域医学检验所');
    await axeCheck(page, 'the pickup list');
    await shot(page, 'handover-transport.png', { fullPage: true });
    await Promise.all([page.waitForURL(/\/handovers\/\d+$/), page.click('main button[type=submit]')]);
    slipUrl = new URL(page.url()).pathname;
    const slip = await mainText(page);
    assert.match(slip, /样本交接单/);
    assert.match(slip, /demo-transporter/);
    // Both boxes are off the waiting list now.
    await go(page, '/transport');
    assert.doesNotMatch(await mainText(page), new RegExp(boxA));
  } finally {
    await t.close();
  }

  // The lab: scan, count, a short count refused without a note, then received.
  const l = await phone();
  try {
    const { page } = l;
    await login(page, 'demo-lab');
    await menu(page, '样本接收');
    await page.waitForURL(/\/lab\/receive$/);
    await page.fill('#f-code', boxA.toLowerCase());
    await Promise.all([page.waitForURL(/code=/), page.keyboard.press('Enter')]);
    assert.match(await mainText(page), /封箱试管数\s*2/);
    await page.fill('#f-tubes', '2');
    await Promise.all([page.waitForURL(/done=/), page.click('main form[method=post] button[type=submit]')]);
    assert.match(await mainText(page), new RegExp(`已接收\\s*${boxA}`));
    await page.fill('#f-code', boxB);
    await Promise.all([page.waitForURL(/code=/), page.keyboard.press('Enter')]);
    await page.fill('#f-tubes', '0');
    await page.click('main form[method=post] button[type=submit]');
    await page.waitForSelector('main form[method=post] .alert');
    assert.match(await page.locator('main form[method=post] .alert').innerText(), /说明|note/);
    await axeCheck(page, 'the lab page with a refusal');
    await shot(page, 'handover-lab.png', { fullPage: true });
    await page.fill('#f-note', '箱内缺 1 管，已电话告知采样点');
    await Promise.all([page.waitForURL(/done=/), page.click('main form[method=post] button[type=submit]')]);

    // The slip, signed by both sides, as printed on A4.
    await go(page, slipUrl);
    const slip = await mainText(page);
    assert.match(slip, /demo-lab/);
    assert.match(slip, /箱内缺 1 管/);
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false, 'no menu on paper');
    await shot(page, 'handover-slip.png', { fullPage: true });
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(height <= 1123, `the slip fits one A4 page (${height}px)`);
  } finally {
    await l.close();
  }
});
