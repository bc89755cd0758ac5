// A sealed building and sampling at home, on phones: the community admin finds 封控区域 under
// "全部功能" (the long menu's groups), seals a building of 佳纷天地 and sees it listed; the
// grid worker opens a household of that building, sees the seal and files food for it; the
// admin opens a one-tube round over the compound, and the sampler's page for that household
// lists its members to tap at the door — one tap, one tube of one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 120_000 };
const COMPOUND = `${COMMUNITY}/佳纷天地`;

test('a sealed building is served at home and sampled at the door', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const households = await api(token, `/households?area=${encodeURIComponent(COMPOUND)}&per_page=200`);
  // Not 10号楼 (the tasks test's), nor the building of the check-in test's household (the
  // first of two to four outside 10号楼): the last such household of another building.
  const fits = households.items.filter((h) => h.members >= 2 && h.members <= 4 && !h.address.includes('10号楼'));
  const taken = fits[0].address.match(/(\d+号楼)/)[1];
  const household = fits.reverse().find((h) => !h.address.includes(taken));
  assert.ok(household, 'a household of two to four in 佳纷天地');
  const building = household.address.match(/(\d+号楼)/)[1];

  const a = await phone();
  try {
    const { page } = a;
    await login(page, 'demo-community-admin');
    await page.locator('nav.menu details.all > summary').click();
    await shot(page, 'menu-groups.png');
    await page.locator('nav.menu details.all > summary').click();
    await menu(page, '封控区域');
    await page.waitForURL(/\/seals$/);
    await page.locator('main details > summary').click();
    const value = await page.locator('#f-area option', { hasText: new RegExp(`佳纷天地 ${building}$`) }).getAttribute('value');
    await page.selectOption('#f-area', value);
    await page.fill('#f-reason', '楼内发现阳性（e2e）');
    await Promise.all([page.waitForURL(/\/seals$/), page.click('main form[action="/seals"] button[type=submit]')]);
    const text = await mainText(page);
    assert.match(text, new RegExp(`佳纷天地 ${building}`));
    assert.match(text, /封控中/);
    await axeCheck(page, 'the sealed areas');
    await shot(page, 'seals.png', { fullPage: true });
  } finally {
    await a.close();
  }

  const w = await phone();
  try {
    const { page } = w;
    await login(page, 'demo-grid-worker');
    await go(page, `/households/${household.id}`);
    assert.match(await mainText(page), /本户所在区域封控中/);
    await page.locator('details > summary', { hasText: '代为申请' }).click();
    await page.selectOption('#f-su-kind', 'food');
    await page.fill('#f-su-detail', '大米 5 斤');
    await Promise.all([page.waitForURL(/#supplies$/), page.click('form[action$="/supplies"] button[type=submit]')]);
    assert.match(await mainText(page), /大米 5 斤/);
    await shot(page, 'sealed-household.png', { fullPage: true });
  } finally {
    await w.close();
  }

  // A one-tube round over the compound; its sampler's page for the household at its door.
  const round = await api(token, '/rounds', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, name: `e2e 上门采样 ${Date.now() % 100000}`, pool_size: 1, areas: [COMPOUND] }),
  });
  await api(token, `/rounds/${round.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'open' }) });
  const s = await phone();
  try {
    const { page } = s;
    await login(page, 'demo-community-admin');
    await go(page, `/rounds/${round.id}/sample?household=${household.id}`);
    const members = page.locator('#members button');
    assert.equal(await members.count(), household.members);
    await page.fill('#s-tube', `E2EH${Date.now().toString(36).toUpperCase()}`);
    await page.press('#s-tube', 'Enter');
    await members.first().click();
    await page.waitForFunction(() => document.querySelector('#recent li'));
    assert.match(await page.locator('#recent').innerText(), /\S/);
    await axeCheck(page, 'the sampler at the door');
    await shot(page, 'sampler-at-door.png', { fullPage: true });
  } finally {
    await s.close();
  }
});
