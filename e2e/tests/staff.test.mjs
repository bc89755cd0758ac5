// The working force and its duties (分包) on a phone: the community admin finds the staff
// roster in the menu, sees who owns 佳纷天地 with a call button, opens a building nobody
// captains yet from the gaps list, gives it a 楼栋长 and sees the gap close; the grid worker
// sees the owners of that building on its area page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { go, login, mainText, phone, shot } from '../lib.mjs';

const T = { timeout: 90_000 };

test('a building without a captain gets one, and everyone sees who owns it', T, async () => {
  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-community-admin');
    await page.locator('nav.menu a', { hasText: '工作力量' }).click();
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
