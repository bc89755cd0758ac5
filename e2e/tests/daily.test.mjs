// The daily report (日报) on a phone: the community admin opens /daily for the demo community,
// every figure is a link, the page never scrolls sideways at 390 px; they sign it off and the
// card says so; the street admin sees 1 of the street's communities signed; the 14-day charts
// are drawn as SVG that fit the phone's width; the printable table has a row per area.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, axeCheck, go, login, mainText, phone, shot } from '../lib.mjs';

const T = { timeout: 180_000 };

/** Whether the page is wider than the phone (sideways scrolling). */
const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);

test('the daily report reads on a phone, signs off, and charts the last 14 days', T, async () => {
  const { page, close } = await phone();
  try {
    await login(page, 'demo-community-admin');
    await go(page, '/daily');
    assert.match(await page.locator('h1').innerText(), /日报/);
    const links = await page.locator('.dr-total .dr-fig a').count();
    assert.ok(links >= 20, `every figure links to its list (${links})`);
    assert.equal(await sideways(page), false, 'no sideways scrolling on /daily');
    await axeCheck(page, '/daily');
    await shot(page, 'daily.png', { fullPage: true });

    // Sign off: the card shows who signed and the button offers to sign again.
    await Promise.all([page.waitForURL(/\/daily\?/), page.click(`form[action="/daily/sign"] button`)]);
    assert.match(await mainText(page), /已签收/);
    assert.match(await page.locator(`form[action="/daily/sign"] button`).first().innerText(), /重新签收/);

    // The charts: one SVG per figure (not population), as wide as the phone at most.
    await go(page, '/daily/trend');
    const svgs = await page.locator('svg').count();
    assert.ok(svgs >= 19, `a chart per figure (${svgs})`);
    const width = await page.locator('svg').first().evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(width > 250 && width <= 390, `chart width ${width}`);
    assert.equal(await sideways(page), false, 'no sideways scrolling on /daily/trend');
    await shot(page, 'daily-trend.png', { fullPage: true });

    // The printable table: the community's row.
    await go(page, '/daily/print');
    assert.match(await page.locator('table').innerText(), /祥云社区/);
  } finally {
    await close();
  }
  // The street sees which of its communities signed.
  const street = await phone();
  try {
    await login(street.page, 'demo-street-admin');
    await go(street.page, '/daily');
    const text = await mainText(street.page);
    assert.match(text, /已签收社区 1 \/ \d+/);
    assert.ok(text.includes(COMMUNITY.split('/')[2]));
    await shot(street.page, 'daily-street.png', { fullPage: true });
  } finally {
    await street.close();
  }
});
