// The building map (楼栋图) on a phone: the community admin opens a testing round over the demo
// community and, through the API, samples one household of 佳纷天地/1号楼 whole, another in
// part, excuses a third and has a fourth's tube found positive by the lab; the map shows each as a coloured cell with its symbol and the
// legend with counts; tapping a cell opens the household. A unit given 33 floors of 4 rooms
// stays readable at 390 px (no sideways scrolling). Printed, the menu is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, axeCheck, go, login, mainText, phone, shot } from '../lib.mjs';

const T = { timeout: 180_000 };
const JF = `${COMMUNITY}/佳纷天地`;

/** The persons of an area, with their full ID numbers (read as the admin, audited). */
async function personsOf(token, area) {
  const list = await api(token, `/persons?area=${encodeURIComponent(area)}&per_page=200`);
  return list.items;
}

async function fullId(token, id) {
  return (await api(token, `/persons/${id}?reveal=true`)).id_number;
}

test('the building map shows each household state, its legend, and opens the household', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const stamp = Date.now().toString(36).toUpperCase();
  const round = await api(token, '/rounds', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, name: `e2e 楼栋图 ${stamp}`, pool_size: 1 }),
  });
  await api(token, `/rounds/${round.id}/status`, { method: 'POST', body: JSON.stringify({ status: 'open' }) });
  const areas = (await api(token, `/areas?path=${encodeURIComponent(JF)}`)).items;
  const b1 = areas.find((a) => a.path === `${JF}/1号楼`);
  assert.ok(b1, '佳纷天地/1号楼 exists');

  // Households of 1号楼 by size: a whole one sampled, one of a larger one, one excused.
  const persons = await personsOf(token, `${JF}/1号楼`);
  const byHousehold = new Map();
  for (const p of persons) byHousehold.set(p.household_id, [...(byHousehold.get(p.household_id) ?? []), p]);
  const homes = [...byHousehold.values()];
  const whole = homes.find((h) => h.length >= 2);
  const part = homes.find((h) => h.length >= 2 && h !== whole);
  const single = homes.find((h) => h.length === 1) ?? homes.find((h) => h !== whole && h !== part);
  const pooled = homes.find((h) => h !== whole && h !== part && h !== single);
  let n = 0;
  const scan = async (p) => {
    n += 1;
    await api(token, `/rounds/${round.id}/scans`, {
      method: 'POST',
      body: JSON.stringify({ client_id: `e2e-${stamp}-${n}`, tube: `M${stamp}${n}`, person: { id_number: await fullId(token, p.id) } }),
    });
  };
  for (const p of whole) await scan(p);
  await scan(part[0]);
  // One of another household into a tube the lab finds positive.
  await scan(pooled[0]);
  const lab = await apiLogin('demo-lab');
  await api(lab, '/lab/results', { method: 'POST', body: JSON.stringify({ results: [{ tube: `M${stamp}${n}`, result: '阳性' }] }) });
  for (const p of single) {
    await api(token, `/rounds/${round.id}/exclusions`, {
      method: 'POST',
      body: JSON.stringify({ person: { id_number: await fullId(token, p.id) }, reason: 'away' }),
    });
  }
  const map = await api(token, `/rounds/${round.id}/map/${b1.id}`);
  const cells = map.floors.flatMap((f) => f.cells);
  const stateOf = (hid) => cells.find((c) => c.household_id === hid)?.state;
  assert.equal(stateOf(whole[0].household_id), 'sampled');
  assert.equal(stateOf(part[0].household_id), 'partial');
  assert.equal(stateOf(single[0].household_id), 'excused');
  assert.equal(stateOf(pooled[0].household_id), 'positive');
  assert.ok(JSON.stringify(map).indexOf(whole[0].name) < 0, 'the map names no one');

  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');
    // From the round's list of buildings to 1号楼's map.
    await go(page, `/rounds/${round.id}/maps?area=${encodeURIComponent(JF)}`);
    assert.match(await mainText(page), /1号楼/);
    await Promise.all([page.waitForURL(new RegExp(`/rounds/${round.id}/map/${b1.id}$`)), page.locator(`main a[href="/rounds/${round.id}/map/${b1.id}"]`).click()]);
    const text = await mainText(page);
    for (const word of ['楼栋图', '已采完', '部分未采', '全未采', '全部免采', '混管阳性', '1单元', '2单元', '6层']) assert.ok(text.includes(word), word);
    // Each state has its own colour and symbol.
    const look = async (state) =>
      page.locator(`main a.bm-cell.bm-s-${state}`).first().evaluate((a) => ({
        bg: getComputedStyle(a).backgroundColor,
        sym: a.querySelector('.bm-sym').textContent,
      }));
    const seen = await Promise.all(['sampled', 'partial', 'excused', 'none', 'positive'].map(look));
    assert.equal(new Set(seen.map((s) => s.bg)).size, 5, JSON.stringify(seen));
    assert.deepEqual(seen.map((s) => s.sym), ['✓', '◐', '—', '○', '!']);
    const legend = await page.locator('main ul.bm-legend li').allInnerTexts();
    assert.equal(legend.length, 6);
    for (const c of map.counts) {
      const label = { positive: '混管阳性', none: '全未采', partial: '部分未采', sampled: '已采完', excused: '全部免采', empty: '空户' }[c.state];
      assert.ok(legend.some((l) => l.includes(label) && l.trim().endsWith(String(c.households))), `${label} ${c.households}: ${legend}`);
    }
    // Nothing wider than the phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    await axeCheck(page, 'the building map');
    await shot(page, 'building-map.png', { fullPage: true });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false, 'printing drops the menu');
    await shot(page, 'building-map-print.png', { fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    // A tap on a cell opens the household.
    const hid = whole[0].household_id;
    await Promise.all([page.waitForURL(new RegExp(`/households/${hid}$`)), page.locator(`main a.bm-cell[href="/households/${hid}"]`).tap()]);
    assert.match(await mainText(page), /佳纷天地1号楼/);
  } finally {
    await b.close();
  }
});

test('a unit of 33 floors with 4 rooms each stays readable on a phone', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const stamp = Date.now().toString(36).toUpperCase();
  const round = await api(token, '/rounds', {
    method: 'POST',
    body: JSON.stringify({ area: COMMUNITY, name: `e2e 高层 ${stamp}`, pool_size: 10 }),
  });
  const areas = (await api(token, `/areas?path=${encodeURIComponent(JF)}`)).items;
  const unit = areas.find((a) => a.path === `${JF}/10号楼/2单元`);
  assert.ok(unit, '佳纷天地/10号楼/2单元 exists');
  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');
    await go(page, `/areas/${unit.id}`);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    // Empty rooms up to the 33rd floor, 4 a floor (rooms already there are refused; fine).
    await page.evaluate(
      async ({ id, csrf }) => {
        for (let f = 1; f <= 33; f++)
          for (let d = 1; d <= 4; d++) {
            const room = `${f}${String(d).padStart(2, '0')}`;
            await fetch(`/areas/${id}/households`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ csrf, room }).toString(),
              redirect: 'manual',
            });
          }
      },
      { id: unit.id, csrf },
    );
    await go(page, `/rounds/${round.id}/map/${unit.id}`);
    const floors = page.locator('main .bm-floor');
    assert.equal(await floors.count(), 33);
    assert.equal(await floors.first().locator('.bm-fl').innerText(), '33层');
    assert.equal(await floors.last().locator('.bm-fl').innerText(), '1层');
    // The four rooms of a floor sit on one line, each a comfortable tap target.
    const boxes = await floors.first().locator('a.bm-cell').evaluateAll((as) => as.map((a) => a.getBoundingClientRect().toJSON()));
    assert.equal(boxes.length, 4);
    assert.equal(new Set(boxes.map((r) => Math.round(r.top))).size, 1, 'one line');
    for (const r of boxes) assert.ok(r.width >= 44 && r.height >= 44 && r.right <= 390, JSON.stringify(r));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    await shot(page, 'building-map-33.png');
  } finally {
    await b.close();
  }
});
