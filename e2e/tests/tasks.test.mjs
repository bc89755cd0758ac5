// Field tasks on a phone: the community admin makes a door-knock task for every household of
// a building nobody captains (佳纷天地/10号楼), so they go to the compound's grid worker; the
// grid worker opens 我的任务, sees them in walking order with a call button for the task's
// owner, starts one and finishes it with an outcome; the community sees it done on the board.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMUNITY, api, apiLogin, go, login, mainText, menu, phone, shot } from '../lib.mjs';

const T = { timeout: 90_000 };

test('a grid worker finishes a door-knock from 我的任务 and the board shows it done', T, async () => {
  const token = await apiLogin('demo-community-admin');
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const made = await api(token, '/tasks/bulk', {
    method: 'POST',
    body: JSON.stringify({ idempotency_key: `e2e-${Date.now()}`, kind: 'door_knock', area: `${COMMUNITY}/佳纷天地/10号楼`, due: today }),
  });
  assert.ok(made.created > 0, JSON.stringify(made));
  assert.equal(made.unassigned, 0, 'routed to the grid worker of 佳纷天地');

  const b = await phone();
  try {
    const { page } = b;
    await login(page, 'demo-grid-worker');
    await menu(page, '我的任务');
    await page.waitForURL(/\/tasks\/mine$/);
    const cards = page.locator('main section.task');
    assert.ok((await cards.count()) >= made.created);
    // Other tests' work (home sampling of a quarantined household) may share the list.
    const first = cards.filter({ hasText: '入户敲门' }).first();
    assert.match(await first.innerText(), /入户敲门/);
    assert.match(await first.innerText(), /佳纷天地10号楼/);
    await shot(page, 'tasks-mine.png');
    const label = (await first.locator('strong').first().innerText()).trim();
    await Promise.all([page.waitForURL(/\/tasks\/mine$/), first.locator('form[action$="/start"] button').click()]);
    const again = page.locator('main section.task', { hasText: label });
    await again.locator('select[name=outcome]').selectOption('met');
    await again.locator('input[name=note]').fill('已入户，无异常');
    await Promise.all([page.waitForURL(/\/tasks\/mine$/), again.locator('form[action$="/finish"] button').click()]);
    assert.equal(await page.locator('main section.task', { hasText: label }).count(), 0, 'done tasks leave the list');
  } finally {
    await b.close();
  }

  const m = await phone();
  try {
    const { page } = m;
    await login(page, 'demo-community-admin');
    await go(page, '/tasks?status=done');
    const text = await mainText(page);
    assert.match(text, /已入户核实/);
    await shot(page, 'tasks-board.png', { fullPage: true });
    // One task with its history, and the routing table (read-only below system admin).
    await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.locator('main ul.list a').first().click()]);
    assert.match(await mainText(page), /处理记录/);
    await shot(page, 'task.png', { fullPage: true });
    await go(page, '/tasks/routes');
    assert.match(await mainText(page), /任务派发规则/);
    await shot(page, 'task-routes.png');
  } finally {
    await m.close();
  }
});
