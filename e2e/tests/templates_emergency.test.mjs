// Export templates and the community's mode, on a phone: the community admin finds 报表模板
// and 平急转换 under "全部功能", sees the built-in upward direct report, makes a template of
// persons with 男=1; 女=2, exports it for the community as CSV (ID numbers whole for an
// admin, the mapped values in place); opens the mode page in peacetime with the switch form
// and the retention preview. Nothing is switched: the other tests share this community.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 120_000 };

test('a template is made and used, and the mode page shows peacetime', T, async () => {
  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');
    await menu(page, '报表模板');
    assert.match(await mainText(page), /上级直报/);
    await axeCheck(page, 'the templates page');
    await shot(page, 'templates.png', { fullPage: true });

    // A template of persons: name, sex mapped to a digit.
    await go(page, '/templates/new?kind=persons');
    const stamp = Date.now().toString(36);
    await page.fill('input[name="name"]', `卫健委花名册 ${stamp}`);
    const headers = page.locator('input[name^="header_"]');
    const fields = page.locator('select[name^="field_"]');
    const maps = page.locator('input[name^="map_"]');
    await headers.nth(0).fill('姓名');
    await fields.nth(0).selectOption('name');
    await headers.nth(1).fill('性别');
    await fields.nth(1).selectOption('sex');
    await maps.nth(1).fill('男=1; 女=2');
    await axeCheck(page, 'the template form');
    await shot(page, 'template-form.png', { fullPage: true });
    await Promise.all([page.waitForLoadState('load'), page.locator('form[method=post] button.primary').click()]);
    assert.match(await mainText(page), new RegExp(`卫健委花名册 ${stamp}`));

    // Its CSV for the community: two columns, sexes as digits.
    const token = await apiLogin('demo-community-admin');
    const list = await api(token, '/templates');
    const made = list.items.find((x) => x.name === `卫健委花名册 ${stamp}`);
    assert.ok(made, JSON.stringify(list.items.map((x) => x.name)));
    const r = await fetch(`${BASE}/api/v1/exports/${made.id}?area=${encodeURIComponent(COMMUNITY)}&format=csv`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const res = { status: r.status, text: await r.text() };
    assert.equal(res.status, 200, res.text.slice(0, 200));
    const lines = res.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    assert.equal(lines[0], '姓名,性别');
    assert.ok(lines.length > 10, `${lines.length} rows`);
    assert.ok(lines.slice(1).every((l) => /,[12]$/.test(l) || /,$/.test(l)), lines.slice(1, 5).join(' | '));

    // The mode page in peacetime: the switch form with the four task forces, the history.
    await menu(page, '平急转换');
    assert.match(await mainText(page), /平时状态/);
    await page.locator('details.card > summary', { hasText: '转入应急状态' }).click();
    const text = await mainText(page);
    assert.match(text, /信息核查/);
    assert.match(text, /防控值守/);
    await axeCheck(page, 'the mode page');
    await shot(page, 'emergency.png', { fullPage: true });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the mode page is ${wide}px wide`);
  } finally {
    await b.close();
  }
});
