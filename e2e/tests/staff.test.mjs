// The working force and its duties (分包) on a phone: the community admin finds the staff
// roster in the menu, sees who owns 佳纷天地 with a call button, opens a building nobody
// captains yet from the gaps list, gives it a 楼栋长 and sees the gap close; the grid worker
// sees the owners of that building on its area page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 90_000 };

async function openLink() {
  const token = await apiLogin('demo-community-admin');
  await api(token, '/report-links', { method: 'POST', body: JSON.stringify({ area: COMMUNITY, purpose: 'census', expires_in_hours: 24 }) });
}

test('a building without a captain gets one, and everyone sees who owns it', T, async () => {
  // An open report link for the community, so the building notice carries its QR code.
  await openLink();
  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');
    await menu(page, '工作力量');
    await page.waitForURL(/\/staff$/);
    const roster = await mainText(page);
    assert.match(roster, /赵建国/);
    assert.match(roster, /钱晓燕/);
    await shot(page, 'staff-list.png', { fullPage: true });

    // The gaps: buildings of the community without a 楼栋长.
    await Promise.all([page.waitForURL(/\/duties\/gaps/), page.locator('main a', { hasText: '无人负责的区域' }).click()]);
    const before = Number((await mainText(page)).match(/共\s*(\d+)/)?.[1] ?? NaN);
    const gap = page.locator('main ul.list a', { hasText: '佳纷天地/9号楼' });
    assert.equal(await gap.count(), 1, '佳纷天地/9号楼 has no captain in the demo');
    await shot(page, 'duty-gaps.png');
    await Promise.all([page.waitForURL(/\/areas\/\d+\/duties$/), gap.click()]);
    // Inherited owners show where they come from; give the building its own captain.
    assert.match(await mainText(page), /沿用上级/);
    await page.selectOption('#f-duty', 'building_captain');
    const option = await page.locator('#f-staff option', { hasText: '吴桂芳' }).getAttribute('value');
    await page.selectOption('#f-staff', option);
    await Promise.all([page.waitForURL(/\/areas\/\d+\/duties$/), page.locator('main form button.primary').click()]);
    const owners = await mainText(page);
    assert.match(owners, /楼栋长[\s\S]*吴桂芳/);
    assert.equal(await page.locator('main a[href="tel:13800001003"]').count() > 0, true, 'a tap-to-call link');
    await shot(page, 'area-duties.png', { fullPage: true });
    await go(page, '/duties/gaps');
    const after = Number((await mainText(page)).match(/共\s*(\d+)/)?.[1] ?? NaN);
    assert.equal(after, before - 1, 'the gap closed');

    // The captain's own page lists what they own.
    await go(page, '/staff?q=吴桂芳');
    await Promise.all([page.waitForURL(/\/staff\/\d+$/), page.locator('main ul.list a', { hasText: '吴桂芳' }).click()]);
    assert.match(await mainText(page), /佳纷天地\/9号楼/);
    await shot(page, 'staff-member.png', { fullPage: true });

    // The printables: the responsibility table and 9号楼's notice with its owners and codes.
    await go(page, '/duties/table');
    assert.match(await mainText(page), /楼栋长[\s\S]*吴桂芳|吴桂芳[\s\S]*楼栋长/);
    await shot(page, 'duty-table.png');
    await go(page, '/staff?q=吴桂芳');
    await page.locator('main ul.list a', { hasText: '吴桂芳' }).click();
    await Promise.all([page.waitForURL(/\/areas\/\d+$/), page.locator('main a', { hasText: '9号楼' }).first().click()]);
    await Promise.all([page.waitForURL(/\/notice$/), page.locator('main a', { hasText: '楼栋公示牌' }).click()]);
    const notice = await mainText(page);
    assert.match(notice, /佳纷天地9号楼/);
    assert.match(notice, /13800001003/);
    assert.ok((await page.locator('main figure.code svg').count()) >= 1, 'the open report links as QR codes');
    await shot(page, 'building-notice.png', { fullPage: true });
  } finally {
    await b.close();
  }

  const w = await phone();
  try {
    const { page } = w;
    await login(page, 'demo-grid-worker');
    await go(page, '/staff?q=吴桂芳');
    const text = await mainText(page);
    assert.match(text, /吴桂芳/);
    assert.equal(await page.locator('main a[href="/staff/new"]').count(), 0, 'a grid worker cannot add staff');
  } finally {
    await w.close();
  }
});
