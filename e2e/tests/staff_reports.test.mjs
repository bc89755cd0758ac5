// The staff pages around self-report, as a community worker meets them on a phone: the review
// queue, a report's detail and the report links. A risk-visit report (new person, symptoms, a
// temperature) is sent through the public JSON API and left pending, so no counts change.
// Checks what a person sees: every answer in Chinese, every control at least 44 px tall and
// looking like one, a label on every control, nothing wider than the screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, COMMUNITY, api, apiLogin, go, idNumber, login, mainText, phone, shot } from '../lib.mjs';

const T = { timeout: 90_000 };


/** Controls in main smaller than a finger: [{what, w, h}]. */
async function smallTargets(page) {
  return page.$$eval('main a, main button, main select, main input:not([type=hidden]), main summary', (els) =>
    els
      .filter((e) => e.offsetParent !== null)
      .map((e) => {
        const r = e.getBoundingClientRect();
        // A checkbox counts with its label: the label is what a finger taps.
        const label = e.type === 'checkbox' ? e.closest('label') : null;
        const h = label ? label.getBoundingClientRect().height : r.height;
        return { what: `${e.tagName.toLowerCase()} "${(e.innerText || e.name || e.value || '').trim().slice(0, 20)}"`, w: Math.round(r.width), h: Math.round(h) };
      })
      .filter((x) => x.h < 44),
  );
}

/** Controls in main without an accessible name from a label. */
async function unlabelled(page) {
  return page.$$eval('main select, main input:not([type=hidden]):not([type=submit])', (els) =>
    els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.name),
  );
}

/** Elements in main wider than their box (text running out of its card). */
async function overflowing(page) {
  return page.$$eval('main *', (els) =>
    els.filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible' && e.clientWidth > 0).map((e) => e.tagName.toLowerCase() + '.' + e.className),
  );
}

test('staff review a report on a phone: translated answers, fingers-sized controls, nothing overflowing', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const link = await api(token, '/report-links', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, purpose: 'risk_visit', expires_in_hours: 48 }),
  });
  const area = encodeURIComponent(`${COMMUNITY}/和平小区`);
  const list = await api(token, `/households?area=${area}&per_page=50`);
  const h = list.items.at(-1);
  assert.ok(h, 'a household');
  const parts = h.area_path.split('/').slice(3);
  const body = {
    idempotency_key: `e2e-staff-${Date.now()}`,
    address: { compound: parts[0], building: parts[1] ?? '', unit: parts[2] ?? '', room: h.room },
    members: [{ name: '测试访客', id_type: 'resident_id', id_number: idNumber('410102', '19850314', '137'), phone: '13800138000', relation: '户主' }],
    answers: { risk_place: '佳纷天地', date: '2026-11-28', symptoms: '发热', temperature: '37.8', notes: '' },
  };
  const res = await fetch(BASE + '/api/v1/public/reports/' + link.token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());

  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');

    await go(page, '/reports');
    assert.deepEqual(await unlabelled(page), [], 'every control on /reports has a label');
    assert.deepEqual(await smallTargets(page), [], 'every control on /reports is at least 44 px tall');
    const box = await page.locator('form[action="/reports/export"] input[type=checkbox]').boundingBox();
    assert.ok(box.width <= 32 && box.height <= 32, `the export checkbox is a checkbox, not a ${box.width}×${box.height} box`);
    assert.deepEqual(await overflowing(page), []);
    await shot(page, 'report-queue.png', { fullPage: true });

    const row = page.locator('main ul.list a', { hasText: h.room }).filter({ hasText: '和平小区' }).last();
    await Promise.all([page.waitForURL(/\/reports\/\d+$/), row.click()]);
    const detail = await mainText(page);
    for (const raw of ['date', 'symptoms', 'temperature', 'risk_place']) {
      assert.ok(!new RegExp(`\\b${raw}\\b`).test(detail), `raw key "${raw}" shown in the Chinese page`);
    }
    assert.match(detail, /体温/);
    assert.match(detail, /37\.8/);
    assert.match(detail, /发热/);
    assert.deepEqual(await unlabelled(page), [], 'every control on the detail has a label');
    assert.deepEqual(await smallTargets(page), [], 'every control on the detail is at least 44 px tall');
    assert.deepEqual(await overflowing(page), []);
    await shot(page, 'report-detail.png', { fullPage: true });

    await go(page, '/report-links');
    assert.deepEqual(await unlabelled(page), []);
    assert.deepEqual(await smallTargets(page), [], 'every control on /report-links is at least 44 px tall');
    assert.deepEqual(await overflowing(page), [], 'link URLs stay inside their cards');
    const revoke = page.locator('main section.link form button').first();
    const look = await revoke.evaluate((e) => {
      const s = getComputedStyle(e);
      return { border: s.borderTopWidth, bg: s.backgroundColor, decoration: s.textDecorationLine };
    });
    assert.ok(look.border !== '0px' || look.bg !== 'rgba(0, 0, 0, 0)', `停用 looks like a button: ${JSON.stringify(look)}`);
    await shot(page, 'report-links.png', { fullPage: true });
  } finally {
    await b.close();
  }
});

test('a volunteer files a household report on its behalf (代报) from the household page', T, async () => {
  const token = await apiLogin('demo-community-admin');
  // A returnee link for the whole community (its place and date are required).
  await api(token, '/report-links', { method: 'POST', body: JSON.stringify({ area: COMMUNITY, purpose: 'returnee', expires_in_hours: 24 }) });
  const area = encodeURIComponent(`${COMMUNITY}/佳纷天地`);
  const list = await api(token, `/households?area=${area}&per_page=50`);
  const h = list.items.find((x) => x.members >= 2) ?? list.items[0];
  assert.ok(h, 'a household in 佳纷天地');

  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-volunteer');
    await go(page, `/households/${h.id}`);
    await Promise.all([page.waitForURL(/\/report(\?|$)/), page.getByRole('link', { name: '代为报备' }).click()]);
    // More than one open link: choose the kind first.
    if (await page.locator('main #links').count()) {
      await Promise.all([page.waitForURL(/link=\d+/), page.locator('main ul.list a', { hasText: '返郑' }).first().click()]);
    }
    const text = await mainText(page);
    assert.doesNotMatch(text, /\d{17}[\dX]/, 'no full ID number shown to a volunteer');
    assert.deepEqual(await unlabelled(page), [], 'every control on the 代报 form has a label');
    assert.deepEqual(await smallTargets(page), [], 'every control on the 代报 form is at least 44 px tall');
    assert.deepEqual(await overflowing(page), []);
    await shot(page, 'on-behalf-form.png', { fullPage: true });

    // Refused without the place and date: the summary is focused and links to each field.
    await page.locator('main button[type=submit]').click();
    await page.waitForSelector('#problems');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'problems');
    assert.equal(await page.locator('#problems a').count(), 2);
    await shot(page, 'on-behalf-error.png', { fullPage: true });
    await page.locator('#problems a').first().click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-a_from_place');
    await page.keyboard.type('上海');
    await page.locator('#f-a_date').fill('2026-11-30');
    await page.locator('#f-a_date').press('Enter');
    await page.waitForSelector('text=已代报');
    await shot(page, 'on-behalf-done.png');
  } finally {
    await b.close();
  }
});
