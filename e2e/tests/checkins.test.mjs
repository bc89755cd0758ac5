// Home quarantine on a phone: the community admin starts a household's home quarantine, the
// household opens its check-in link (as the QR code on its door slip gives it) and checks in
// with a fever for one member and a typo for another; the page shows the error at the field,
// then saves; the grid worker records the other member's check-in by phone from the
// household's check-in page and sees the fever's follow-up on 今日监测.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 90_000 };

test('a household checks in from its link and the grid worker follows up', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const list = await api(token, `/households?area=${encodeURIComponent(`${COMMUNITY}/佳纷天地`)}&per_page=200`);
  // Not in 10号楼: the tasks test works there and finds its cards by address.
  const household = list.items.find((h) => h.members >= 2 && h.members <= 4 && !h.address.includes('10号楼'));
  assert.ok(household, 'a household of two to four');
  const detail = await api(token, `/households/${household.id}`);
  await api(token, '/episodes', {
    method: 'POST',
    body: JSON.stringify({ person_id: detail.persons[0].id, household: true, measure: 'home_quarantine', reason: '密接（e2e）' }),
  });
  const state = await api(token, `/households/${household.id}/checkins`);
  assert.ok(state.checkin_url, JSON.stringify(state));
  const link = new URL(state.checkin_url).pathname;

  const r = await phone();
  try {
    const { page } = r;
    await go(page, link);
    const text = await mainText(page);
    assert.match(text, /每日健康监测打卡/);
    assert.ok(!text.includes(detail.persons[0].name), 'names are masked on the door link');
    await axeCheck(page, 'the check-in page');
    await shot(page, 'checkin-household.png', { fullPage: true });
    await page.fill('#f-m0_temperature', '37.9');
    await page.check('input[name=m0_symptoms][value=cough]');
    await page.fill('#f-m1_temperature', '3６.x');
    await Promise.all([page.waitForLoadState(), page.click('#f-submit')]);
    assert.match(await mainText(page), /体温应为 35.0–42.0/);
    await shot(page, 'checkin-household-error.png');
    await page.fill('#f-m1_temperature', '');
    await Promise.all([page.waitForURL(/saved=abnormal/), page.click('#f-submit')]);
    assert.match(await mainText(page), /社区工作人员会尽快联系您/);
    await shot(page, 'checkin-household-saved.png');
  } finally {
    await r.close();
  }

  const w = await phone();
  try {
    const { page } = w;
    await login(page, 'demo-grid-worker');
    await go(page, `/households/${household.id}/checkins`);
    await page.selectOption('#f-method', 'phone');
    await page.fill('#f-m1_temperature', '36.4');
    await Promise.all([page.waitForURL(/saved=ok/), page.click('#f-submit')]);
    const text = await mainText(page);
    assert.match(text, /电话询问/);
    assert.match(text, /37\.9℃，咳嗽/);
    await shot(page, 'checkin-worker.png', { fullPage: true });
    await go(page, `/households/${household.id}/checkin-slip`);
    assert.match(await mainText(page), /每天打卡时间/);
    await shot(page, 'checkin-slip.png');
    await menu(page, '今日监测');
    await page.waitForURL(/\/today$/);
    assert.match(await mainText(page), /监测异常/);
    await shot(page, 'quarantine-today.png', { fullPage: true });
  } finally {
    await w.close();
  }

  const a = await phone();
  try {
    const { page } = a;
    await login(page, 'demo-community-admin');
    await go(page, '/quarantine');
    assert.match(await mainText(page), /今日打卡完成率/);
    await shot(page, 'quarantine-overview.png');
    await page.locator('main a', { hasText: '隔离户楼栋图' }).click();
    await page.waitForURL(/\/quarantine\/map/);
    await Promise.all([page.waitForURL(/\/quarantine\/map\/\d+$/), page.locator('main ul.list a').first().click()]);
    assert.match(await mainText(page), /监测异常/);
    await shot(page, 'quarantine-map.png', { fullPage: true });
  } finally {
    await a.close();
  }
});
