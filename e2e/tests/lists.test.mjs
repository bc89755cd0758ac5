// Investigation lists on a phone: the community admin uploads a list from above (headers of its
// own) on /lists, confirms the guessed columns on the mapping step and sees the progress; the
// grid worker of 佳纷天地 opens 流调电话, shows the number of the person to call and records
// "reached, at home"; the list's progress shows the outcome. Uses 佳纷天地/6号楼, which no other
// test touches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMUNITY, api, apiLogin, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 120_000 };

test('a list is uploaded and mapped, and a grid worker records a call', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const area = encodeURIComponent(`${COMMUNITY}/佳纷天地/6号楼`);
  const found = await api(token, `/persons?area=${area}&per_page=1`);
  assert.ok(found.items.length > 0, JSON.stringify(found));
  const person = await api(token, `/persons/${found.items[0].id}?reveal=true`);
  const name = person.name;
  // A header of this run's own: a new header set, so the mapping step shows (a header set seen
  // before is matched with its remembered mapping at once).
  const batch = `批次${Date.now()}`;
  const csv = [
    `编号,被排查人,身份证号码,联系手机,活动场所,活动时间,${batch}`,
    `1,${name},${person.id_number},13900001234,陇海市场,2022-10-08 09:30,`,
    `2,${name},${person.id_number},,陇海市场,2022-10-08 09:30,`,
    '3,无此人,110101199001011237,13900009999,陇海市场,2022-10-08,',
  ].join('\r\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'doorstep-list-')), '陇海市场协查.csv');
  fs.writeFileSync(file, csv);

  let listUrl = '';
  const a = await phone();
  try {
    const { page } = a;
    await login(page, 'demo-community-admin');
    await menu(page, '流调协查名单');
    await page.waitForURL(/\/lists$/);
    await page.fill('#l-area', COMMUNITY);
    await page.setInputFiles('#l-file', file);
    await Promise.all([page.waitForURL(/\/lists\/\d+\/map$/), page.locator('main form button[type=submit]').click()]);
    assert.equal(await page.locator('#f-id_number').inputValue(), '身份证号码', 'the guess');
    assert.equal(await page.locator('#f-phone').inputValue(), '联系手机');
    // 被排查人 is nobody's guess for the name: the user picks it.
    await page.selectOption('#f-name', '被排查人');
    await shot(page, 'list-map.png', { fullPage: true });
    await Promise.all([page.waitForURL(/\/lists\/\d+$/), page.locator('main form button[type=submit]').click()]);
    listUrl = new URL(page.url()).pathname;
    const text = await mainText(page);
    assert.match(text, /重复人员 \(1\)/);
    assert.match(text, /无此人/);
    assert.doesNotMatch(text, new RegExp(person.id_number), 'ID numbers masked');
  } finally {
    await a.close();
  }

  const w = await phone();
  try {
    const { page } = w;
    await login(page, 'demo-grid-worker');
    await menu(page, '流调电话');
    await page.waitForURL(/\/lists\/calls$/);
    const card = page.locator('main section.call', { hasText: name }).first();
    assert.match(await card.innerText(), /陇海市场/);
    await card.locator('form[action$="/phone"] button').click();
    const again = page.locator('main section.call', { hasText: name }).first();
    await again.locator('a[href^="tel:"]').waitFor();
    await again.locator('input[name=outcome][value=reached_home]').check();
    await again.locator('input[name=note]').fill('电话核实，一直在家');
    await shot(page, 'list-calls.png', { fullPage: true });
    await Promise.all([page.waitForURL(/\/lists\/calls\?saved=1$/), again.locator('form:not([action$="/phone"]) button[type=submit]').click()]);
    assert.match(await mainText(page), /已保存/);
  } finally {
    await w.close();
  }

  const m = await phone();
  try {
    const { page } = m;
    await login(page, 'demo-community-admin');
    await go(page, listUrl);
    assert.match(await mainText(page), /已联系，人在家/);
    await shot(page, 'list-progress.png', { fullPage: true });
  } finally {
    await m.close();
  }
});
