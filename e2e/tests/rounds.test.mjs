// A mass-testing round on phones: the community admin creates a round over 佳纷天地 (after a
// refused empty form) and opens it; the sampler scans a tube and two persons by ID number,
// sees a second scan of someone refused, loses the connection, scans two more (queued on the
// phone, 待上传 2), gets the connection back and sees them sent with the tube's count right;
// the API shows four samples, nothing doubled. The admin then reads coverage, drills down to
// a building, and turns its door-knock list into tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 120_000 };
const COMPOUND = `${COMMUNITY}/佳纷天地`;

/** Four persons of 佳纷天地 with resident ID numbers, read in full as the community admin; none
 * of a household at home under a measure (another test may have placed one there: they are
 * sampled single-tube, never in this pooled tube). */
async function persons(token) {
  const list = await api(token, `/persons?area=${encodeURIComponent(COMPOUND)}&per_page=40`);
  const atHome = await api(token, `/episodes?area=${encodeURIComponent(COMPOUND)}&status=active&per_page=200`);
  const homes = new Set(atHome.items.map((e) => e.household_id));
  const out = [];
  for (const p of list.items) {
    if (out.length === 4) break;
    if (homes.has(p.household_id)) continue;
    const full = await api(token, `/persons/${p.id}?reveal=true`);
    if (/^\d{17}[\dX]$/.test(full.id_number)) out.push({ id: p.id, name: full.name, idNumber: full.id_number, household: p.household_id });
  }
  assert.equal(out.length, 4, 'four persons with ID numbers');
  return out;
}

test('a sampler scans on a phone, offline too, and nothing doubles', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const people = await persons(token);
  const name = `e2e 第${Date.now() % 100000}轮全员核酸`;
  const tube = `E2E${Date.now().toString(36).toUpperCase()}`;
  let roundUrl = '';

  // The admin: a refused form, then a round over 佳纷天地, opened.
  const a = await phone();
  try {
    const { page } = a;
    await login(page, 'demo-community-admin');
    await menu(page, '核酸检测');
    await page.waitForURL(/\/rounds$/);
    assert.equal(await page.inputValue('#r-area'), COMMUNITY, 'the area is prefilled');
    await Promise.all([page.waitForURL(/\/rounds$/), page.click('main form[action="/rounds"] button[type=submit]')]);
    assert.match(await page.locator('#error-summary').innerText(), /请按提示修改/);
    assert.equal(await page.locator('#r-name').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#error-summary').innerText(), /名称：/);
    await axeCheck(page, 'the round list with errors');
    await page.fill('#r-name', name);
    await page.selectOption('#r-pool', '10');
    await page.locator('label.check', { hasText: '佳纷天地' }).locator('input').check();
    await Promise.all([page.waitForURL(/\/rounds\/\d+$/), page.click('main form[action="/rounds"] button[type=submit]')]);
    roundUrl = new URL(page.url()).pathname;
    assert.match(await mainText(page), /计划中|未开始|planned/i);
    await Promise.all([page.waitForURL(/\/rounds\/\d+$/), page.click('form[action$="/status"] button:has-text("开始采样")')]);
    assert.match(await mainText(page), /采样中/);
    await go(page, '/rounds');
    assert.match(await mainText(page), new RegExp(name));
    await axeCheck(page, 'the round list');
    await shot(page, 'round-list.png', { fullPage: true });
  } finally {
    await a.close();
  }
  const rid = roundUrl.split('/').pop();

  // The sampler.
  const s = await phone();
  try {
    const { page, ctx } = s;
    await login(page, 'demo-sampler');
    await go(page, '/rounds');
    await Promise.all([page.waitForURL(/\/rounds\/\d+$/), page.locator('main ul.rounds a', { hasText: name }).click()]);
    await Promise.all([page.waitForURL(/\/sample$/), page.locator('main a', { hasText: '采样' }).first().click()]);
    // A scanner gun types and presses Enter: the tube, then each person.
    await page.waitForFunction(() => document.activeElement?.id === 's-tube');
    await page.keyboard.type(tube.toLowerCase());
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 's-person');
    const scan = async (p) => {
      await page.keyboard.type(p.idNumber);
      await page.keyboard.press('Enter');
    };
    await scan(people[0]);
    await scan(people[1]);
    await page.waitForFunction(() => document.getElementById('queue').hidden && document.getElementById('cur-count').textContent === '2');
    assert.equal(await page.locator('#cur-tube').innerText(), tube);
    const recent = await page.locator('#recent').innerText();
    assert.ok(recent.includes(people[1].name) && recent.includes(people[0].name), recent);
    assert.ok(!recent.includes(people[0].idNumber.slice(6, 14)), 'ID numbers are masked');
    // The same person again is refused, in Chinese, and listed.
    await scan(people[0]);
    await page.locator('#refused li').first().waitFor();
    assert.match(await page.locator('#refused').innerText(), /已采|已经采/);
    assert.equal(await page.locator('#cur-count').innerText(), '2');
    await axeCheck(page, 'the sampler page');
    await shot(page, 'round-sample.png', { fullPage: true });

    // The connection drops: two more scans wait on the phone.
    await ctx.setOffline(true);
    await scan(people[2]);
    await scan(people[3]);
    await page.waitForFunction(() => !document.getElementById('queue').hidden && document.getElementById('queued').textContent === '2');
    assert.equal(await page.locator('#cur-count').innerText(), '4');
    await page.locator('#msg', { hasText: '网络中断' }).waitFor();
    await shot(page, 'round-sample-offline.png', { fullPage: true });
    // The queue is in localStorage; a reload with no network opens the page from the service
    // worker's copy, with the two scans still waiting.
    const stored = await page.evaluate((r) => JSON.parse(localStorage.getItem(`doorstep.sampler.${r}.demo-sampler`)).queue.length, rid);
    assert.equal(stored, 2);
    await page.waitForFunction(() => caches.match(location.pathname).then((r) => !!r));
    await page.reload();
    await page.waitForFunction(() => document.getElementById('queued')?.textContent === '2');
    assert.equal(await page.locator('#cur-tube').innerText(), tube);
    await shot(page, 'round-sample-offline-reload.png', { fullPage: true });

    // Back online: sent, the count is the server's.
    await ctx.setOffline(false);
    await page.waitForFunction(() => document.getElementById('queue').hidden, null, { timeout: 20_000 });
    assert.equal(await page.locator('#cur-count').innerText(), '4');
    assert.ok((await page.locator('#recent').innerText()).includes(people[3].name));
    // Closing the tube by hand under its pool size asks first.
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); d.accept(); });
    await page.click('#close-btn');
    await page.locator('#msg', { hasText: '已封管' }).waitFor();
    assert.match(asked, /4 人，不足 10 人/);
    assert.match(await page.locator('#msg').innerText(), new RegExp(`${tube} · 4/10`));
    assert.equal(await page.inputValue('#s-tube'), '');
    assert.equal(await page.locator('#close-form').isVisible(), false);
  } finally {
    await s.close();
  }

  // Nothing doubled: four samples, one tube of four (closed short; closing again answers it).
  const cov = await api(token, `/rounds/${rid}/coverage?area=${encodeURIComponent(COMPOUND)}`);
  assert.equal(cov.sampled, 4, JSON.stringify(cov));
  const t = await api(token, `/rounds/${rid}/tubes/${tube}/close`, { method: 'POST' });
  assert.deepEqual([t.count, t.closed, t.short], [4, true, true], JSON.stringify(t));

  // The admin reads coverage, goes down to a building and makes its door-knock tasks.
  const m = await phone();
  try {
    const { page } = m;
    await login(page, 'demo-community-admin');
    await go(page, roundUrl);
    assert.match(await mainText(page), /覆盖情况/);
    await axeCheck(page, 'the round');
    await shot(page, 'round.png', { fullPage: true });
    await Promise.all([page.waitForURL(/area=/), page.locator('table.cover a', { hasText: '佳纷天地' }).first().click()]);
    const row = page.locator('table.cover tr.total');
    assert.match(await row.innerText(), /\b4\b/);
    await Promise.all([page.waitForURL(/area=/), page.locator('table.cover tbody tr:not(.total) th a').first().click()]);
    await Promise.all([page.waitForURL(/\/missing\?/), page.locator('main a.button', { hasText: '入户敲门' }).click()]);
    assert.match(await mainText(page), /未采人数/);
    await axeCheck(page, 'the door-knock list');
    assert.ok(!(await mainText(page)).includes(people[0].idNumber), 'masked');
    await shot(page, 'round-missing.png');
    await Promise.all([page.waitForURL(/made=/), page.click('main button:has-text("生成入户敲门任务")')]);
    assert.match(await page.locator('main .note').innerText(), /已生成入户敲门任务（户） \d+/);
    // A household's personal codes, to print: names and QR codes, no ID numbers.
    await go(page, `/households/${people[0].household}`);
    await Promise.all([page.waitForURL(/\/codes$/), page.locator('main a', { hasText: '打印个人码' }).click()]);
    assert.equal(await page.locator('figure.code svg').count() > 0, true);
    assert.ok(!(await mainText(page)).includes(people[0].idNumber.slice(6, 14)));
    await axeCheck(page, 'the personal codes');
    await shot(page, 'household-codes.png', { fullPage: true });
  } finally {
    await m.close();
  }
});

test('without JavaScript the sampler page records a scan with two Enters', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const [p] = await persons(token);
  const r = await api(token, '/rounds', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, name: `e2e 无脚本 ${Date.now() % 100000}`, pool_size: 5, areas: [COMPOUND] }),
  });
  await api(token, `/rounds/${r.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'open' }) });
  const tube = `NJS${Date.now().toString(36).toUpperCase()}`;
  const b = await phone({ javaScript: false });
  try {
    const { page } = b;
    await login(page, 'demo-sampler');
    await go(page, `/rounds/${r.id}/sample`);
    assert.equal(await page.locator('#camera').isVisible(), false, 'no camera button without script');
    await page.fill('#s-tube', tube);
    await Promise.all([page.waitForURL(/\/sample$/), page.press('#s-tube', 'Enter')]);
    assert.equal(await page.inputValue('#s-tube'), tube, 'the tube is kept');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 's-person');
    await page.fill('#s-person', p.idNumber);
    await Promise.all([page.waitForURL(/\/sample$/), page.press('#s-person', 'Enter')]);
    assert.equal(await page.locator('#cur-count').innerText(), '1');
    assert.match(await page.locator('#recent').innerText(), new RegExp(p.name));
  } finally {
    await b.close();
  }
  const tubes = await api(token, `/rounds/${r.id}/tubes`);
  assert.equal(tubes.items.find((x) => x.code === tube)?.count, 1);
});
