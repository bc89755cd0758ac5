// Self-report by QR code on a phone, end to end: staff create a report link and open its poster;
// a resident opens /r/{token}, picks compound → building/unit → room, adds two members, gets the
// message for a wrong ID number, fixes it, gets a receipt and corrects the report from it; staff see the report in the queue,
// accept it and export it as XLSX. Started by e2e/run.sh against the demo community.
//
// The members reported are two persons already living in the picked room (their full numbers
// read through the API with an audited reveal), so accepting the report changes no counts that
// the other browser tests check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE, COMMUNITY, PASSWORD, go, login, mainText, phone, shot, withWrongCheck } from '../lib.mjs';

const T = { timeout: 90_000 };

async function withPhone(opts, fn) {
  const b = await phone(opts);
  try {
    return await fn(b.page);
  } finally {
    await b.close();
  }
}

/** A JSON API call as the given bearer token. */
async function api(token, p, init = {}) {
  const res = await fetch(BASE + '/api/v1' + p, {
    ...init,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
  });
  const body = await res.json().catch(() => null);
  assert.ok(res.ok, `${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A room of 佳纷天地 with at least two persons, and two of them with their full ID numbers. */
async function roomWithTwo() {
  const { token } = await api(null, '/auth/login', {
    method: 'POST',
    body: JSON.stringify({ username: 'demo-community-admin', password: PASSWORD }),
  });
  const area = encodeURIComponent(`${COMMUNITY}/佳纷天地`);
  const list = await api(token, `/households?area=${area}&per_page=200`);
  // Skip the first rooms: other tests may edit people found first.
  const h = list.items.filter((x) => x.members >= 2).at(-1);
  assert.ok(h, 'a household with two members');
  const detail = await api(token, `/households/${h.id}`);
  const members = [];
  for (const p of detail.persons.slice(0, 2)) {
    const full = await api(token, `/persons/${p.id}?reveal=true`);
    members.push({ name: full.name, idNumber: full.id_number, phone: full.phone ?? '' });
  }
  return { household: h, members };
}

test('a resident reports a household on a phone and staff accept and export it', T, async () => {
  const { household, members } = await roomWithTwo();
  let url = '';

  // Staff: create a home-quarantine link for the community and open its poster.
  await withPhone({}, async (page) => {
    await login(page, 'demo-community-admin');
    await go(page, '/report-links');
    await page.fill('#f-area', COMMUNITY);
    await page.selectOption('#f-purpose', 'home_quarantine');
    // Creating a link leads straight to its poster.
    await Promise.all([page.waitForURL(/\/report-links\/\d+\/poster$/), page.click('main form.card button[type=submit]')]);
    url = (await page.locator('.poster .url').innerText()).trim();
    assert.match(url, /\/r\/[0-9A-Za-z_-]{10,}$/, `link url: ${url}`);
    const poster = await mainText(page);
    assert.match(poster, /居家隔离/);
    assert.ok(poster.includes(new URL(url).pathname), 'the poster prints the link');
    const qr = page.locator('img.qr');
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'QR code image loads');
    await shot(page, 'report-poster.png', { fullPage: true });
  });
  const reportPath = new URL(url).pathname;

  // Resident: no login, the link from the QR code.
  let receiptPath = '';
  await withPhone({}, async (page) => {
    await go(page, reportPath);
    assert.match(await mainText(page), /居家隔离/);
    // Step one: the building or unit, from the registry (compound, building, unit in one list).
    const option = page.locator(`#f-place option[value="${household.area_id}"]`);
    assert.match(await option.innerText(), /^佳纷天地 /);
    await page.selectOption('#f-place', String(household.area_id));
    await Promise.all([page.waitForURL(/place=/), page.click('main form button[type=submit]')]);
    // Step two: the room from the rooms listed there, then the household.
    await page.selectOption('#f-room', household.room);
    const [a, b] = members;
    await page.fill('#f-m0_name', a.name);
    await page.fill('#f-m0_id_number', withWrongCheck(a.idNumber));
    await page.fill('#f-m0_phone', a.phone);
    await page.fill('#f-m0_relation', '户主');
    await Promise.all([page.waitForLoadState('load'), page.click('button[name=action][value=add]')]);
    // The posted form comes back with a second member block and what was typed kept.
    assert.equal(await page.inputValue('#f-m0_name'), a.name);
    assert.equal(await page.inputValue('#f-room'), household.room);
    await page.fill('#f-m1_name', b.name);
    await page.fill('#f-m1_id_number', b.idNumber);
    await page.fill('#f-m1_phone', b.phone);
    await page.fill('#f-date', '2026-11-28');
    await page.fill('#f-temperature', '36.6');
    await Promise.all([page.waitForLoadState('load'), page.click('button[name=action][value=submit]')]);
    // The wrong check digit is refused at that member's ID field, with the import's message.
    const err = page.locator('#e-m0_id_number');
    await err.waitFor();
    assert.match(await err.innerText(), /校验/);
    assert.equal(await page.locator('.error').count(), 1, 'only the bad ID number is marked');
    assert.equal(await page.inputValue('#f-m1_name'), b.name, 'the other member is kept');
    await shot(page, 'report-form.png', { fullPage: true });
    await page.fill('#f-m0_id_number', a.idNumber);
    await Promise.all([page.waitForURL(/\/receipt\//), page.click('button[name=action][value=submit]')]);
    receiptPath = new URL(page.url()).pathname;
    const text = await mainText(page);
    assert.match(text, /已收到|received/i);
    assert.ok(text.includes(household.room), 'the receipt shows the address');
    assert.ok(text.includes(a.name) && text.includes(b.name), 'the receipt lists both members');
    assert.ok(!text.includes(a.idNumber), 'ID numbers are masked on the receipt');
    await shot(page, 'report-receipt.png', { fullPage: true });

    // Within 24 hours and before review the resident corrects the report on the same phone:
    // the form comes back filled in, and the receipt says it was corrected.
    await Promise.all([page.waitForURL(/\/edit$/), page.locator('main a', { hasText: '修改报备' }).click()]);
    assert.equal(await page.inputValue('#f-m1_name'), b.name);
    assert.equal(await page.inputValue('#f-room'), household.room);
    await page.fill('#f-m1_relation', '配偶');
    await Promise.all([page.waitForURL(/corrected=1$/), page.click('button[name=action][value=submit]')]);
    assert.match(await mainText(page), /报备已修改/);
  });
  assert.match(receiptPath, /^\/r\/[^/]+\/receipt\/[0-9A-F]{16}$/);

  // Staff: the report is in the queue; accept it; export the accepted reports as XLSX.
  await withPhone({}, async (page) => {
    await login(page, 'demo-community-admin');
    await go(page, '/reports');
    const row = page.locator('main ul.list a', { hasText: household.room }).filter({ hasText: '佳纷天地' }).last();
    await row.waitFor();
    await Promise.all([page.waitForURL(/\/reports\/\d+$/), row.click()]);
    const detail = await mainText(page);
    assert.ok(detail.includes(members[0].name) && detail.includes(members[1].name), 'both members shown');
    await Promise.all([page.waitForLoadState('load'), page.click(`form[action$="/accept"] button`)]);
    await go(page, '/reports?status=accepted');
    assert.ok((await mainText(page)).includes(household.room), 'the report is accepted');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('form[action="/reports/export"] button[value=xlsx]')]);
    assert.match(download.suggestedFilename(), /\.xlsx$/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'doorstep-e2e-dl-')), download.suggestedFilename());
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'the export is an XLSX (zip) file');
    assert.ok(bytes.length > 1000, `export size ${bytes.length}`);
  });
});
