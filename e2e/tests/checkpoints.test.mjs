// The checkpoint register (卡口值守) on a phone: the community admin sets up a gate of
// 福寿街楼院 (no other test works there) and puts one of its households into home quarantine;
// at the gate, on a 390 px phone, a resident of another household goes out (passed, name and
// ID number masked), the quarantined one is refused (劝返) with the exception form, then let
// through as an exception naming who allowed it; a vehicle comes in; the counts page shows
// the hour. The register reads without sideways scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, phone, shot } from '../lib.mjs';

const T = { timeout: 180_000 };
const FSJ = `${COMMUNITY}/福寿街楼院`;

test('a guard records, is refused for a quarantined resident, and lets them out as an exception', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const stamp = Date.now().toString(36).toUpperCase();
  const gate = await api(token, '/checkpoints', {
    method: 'POST',
    body: JSON.stringify({ area: FSJ, name: `东门 ${stamp}` }),
  });
  const list = await api(token, `/households?area=${encodeURIComponent(FSJ)}&per_page=200`);
  const homes = list.items.filter((h) => h.members >= 1);
  assert.ok(homes.length >= 2, 'two households of 福寿街楼院');
  const [quarantined, free] = [homes[0], homes[1]];
  const q = await api(token, `/households/${quarantined.id}`);
  const f = await api(token, `/households/${free.id}`);
  await api(token, '/episodes', {
    method: 'POST',
    body: JSON.stringify({ person_id: q.persons[0].id, household: true, measure: 'home_quarantine', reason: '密接（e2e 卡口）' }),
  });
  const reveal = async (id) => (await api(token, `/persons/${id}?reveal=true`)).id_number;
  const qId = await reveal(q.persons[0].id);
  const fId = await reveal(f.persons[0].id);

  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');
    await go(page, '/checkpoints');
    assert.match(await mainText(page), new RegExp(`东门 ${stamp}`));
    await go(page, `/checkpoints/${gate.id}`);
    await axeCheck(page, 'the checkpoint register');

    // A resident goes out: passed, masked.
    await page.locator('label:has(input[name="direction"][value="out"])').click();
    await page.fill('#r-scan', fId);
    await page.fill('#r-temp', '36.5');
    await page.fill('#r-reason', '上班');
    await Promise.all([page.waitForURL(/\?last=\d+/), page.click('#register-form button[type=submit]')]);
    let text = await mainText(page);
    assert.match(text, /通过/);
    assert.ok(!text.includes(fId), 'the ID number is masked');
    assert.ok(!text.includes(f.persons[0].name) || f.persons[0].name.length < 2, 'the name is masked');
    await shot(page, 'checkpoint-register.png', { fullPage: true });

    // The quarantined resident is refused, and the exception form is offered.
    await page.locator('label:has(input[name="direction"][value="out"])').click();
    await page.fill('#r-scan', qId);
    await Promise.all([page.waitForLoadState('load'), page.click('#register-form button[type=submit]')]);
    text = await mainText(page);
    assert.match(text, /劝返/);
    assert.match(text, /居家隔离医学观察中，不得外出/);
    assert.ok(await page.locator('#exception-form').isVisible());
    await shot(page, 'checkpoint-refused.png');

    // Allowed as an exception, with who and why.
    await page.fill('#x-by', '社区书记 王某');
    await page.fill('#x-why', '就医');
    await Promise.all([page.waitForURL(/\?last=\d+/), page.click('#exception-form button[type=submit]')]);
    text = await mainText(page);
    assert.match(text, /特批放行/);
    assert.match(text, /社区书记 王某 · 就医/);

    // A vehicle comes in.
    await page.locator('label:has(input[name="direction"][value="in"])').click();
    await page.locator('details.kinds summary').click();
    await page.fill('#r-plate', '豫A·12345');
    await page.fill('#r-reason', '送菜');
    await Promise.all([page.waitForURL(/\?last=\d+/), page.click('#register-form button[type=submit]')]);
    assert.match(await mainText(page), /豫A12345/);

    // With no network the entry is not sent into an error page: the guard is told, and what
    // was typed stays for the next try (nothing is recorded: the counts below are unchanged).
    await page.context().setOffline(true);
    await page.locator('label:has(input[name="direction"][value="out"])').click();
    await page.fill('#r-scan', fId);
    await page.click('#register-form button[type=submit]');
    await page.locator('#cam-say').waitFor({ state: 'visible' });
    assert.match(await page.locator('#cam-say').innerText(), /没有网络/);
    assert.equal(await page.inputValue('#r-scan'), fId);
    await shot(page, 'checkpoint-offline.png');
    await page.context().setOffline(false);
    await page.locator('#cam-say').waitFor({ state: 'hidden' });
    await page.fill('#r-scan', '');

    // Nothing wider than the phone.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the register is ${wide}px wide`);

    // The counts of today: 1 in, 2 out (one an exception), 1 refused at this gate.
    await go(page, '/checkpoints/counts');
    const table = page.locator('table.counts', { has: page.locator('tr.total') }).filter({ hasText: '' });
    const gateHeading = page.locator('h2', { hasText: `东门 ${stamp}` });
    assert.ok(await gateHeading.isVisible());
    const counts = await api(token, '/checkpoints/counts');
    const mine = counts.gates.find((g) => g.checkpoint.id === gate.id);
    assert.deepEqual(mine.total, { hour: null, entered: 1, left: 2, refused: 1, allowed: 1 });
    assert.ok((await table.count()) >= 1);
    await shot(page, 'checkpoint-counts.png', { fullPage: true });
  } finally {
    await b.close();
  }
});
