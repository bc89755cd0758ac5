// The phone pages in a real headless Chromium against the real binary, serving the demo
// community (`doorstep serve --demo`) from a fresh SQLite database. Started by e2e/run.sh.
// The tests run in order in this one file; test 3 edits the person that test 2 found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  COMMUNITY,
  go,
  headerText,
  idNumber,
  login,
  mainText,
  results,
  search,
  shot,
  withPhone,
  withWrongCheck,
} from '../lib.mjs';

const T = { timeout: 60_000 };


/** The home page's counters as { label: number }. */
async function stats(page) {
  return page.$$eval('ul.stats > li', (lis) =>
    Object.fromEntries(
      lis.map((li) => [li.querySelector('.num + span')?.textContent.trim(), Number(li.querySelector('.num')?.textContent.trim())]),
    ),
  );
}

// Found by test 2, edited by test 3.
let found = null;

test('community admin logs in and the home page shows the demo counts', T, async () => {
  await withPhone({}, async (page) => {
    await go(page, '/login');
    assert.match(await mainText(page), /登录/);
    assert.ok(await page.locator('#username').isVisible(), 'user name field visible');
    assert.ok(await page.locator('#password').isVisible(), 'password field visible');
    await shot(page, 'login.png');

    // A wrong password gets a visible message and no session.
    await page.fill('#username', 'demo-viewer');
    await page.fill('#password', 'not-the-password');
    await page.click('main form button[type=submit]');
    await page.locator('main .alert').waitFor();
    assert.match(await page.locator('main .alert').innerText(), /用户名或密码/);
    assert.match(new URL(page.url()).pathname, /^\/login/);

    await login(page, 'demo-community-admin');
    assert.equal(new URL(page.url()).pathname, '/');
    const text = await mainText(page);
    assert.match(text, /demo-community-admin/);
    assert.match(text, /社区管理员/);
    assert.ok(text.includes(COMMUNITY), 'home names the admin’s area');
    const s = await stats(page);
    // 4,812 households in the demo; other tests on the same server (the building map's
    // 33-floor unit) add empty rooms, which add households but nobody to the persons count.
    assert.ok(s['户数'] >= 4812, `households counter: ${JSON.stringify(s)}`);
    assert.equal(s['人数'], 12500, `persons counter: ${JSON.stringify(s)}`);
    // The area link leads to the community.
    const area = page.locator('main ul.list a', { hasText: COMMUNITY });
    assert.equal(await area.count(), 1);
    assert.ok(await page.locator('#q').isVisible(), 'search box visible');
    await shot(page, 'home.png');
    await Promise.all([page.waitForURL(/\/areas\/\d+/), area.click()]);
    assert.match(await mainText(page), /祥云社区/);
    assert.match(await mainText(page), /佳纷天地/);
  });
});

test('search a person, open the file, then the household lists them', T, async () => {
  await withPhone({}, async (page) => {
    await login(page, 'demo-community-admin');
    await search(page, '王');
    const text = await mainText(page);
    const total = Number(/共\s*(\d+)/.exec(text)?.[1]);
    assert.ok(total > 0, `a total is shown: ${text.slice(0, 200)}`);
    const list = await results(page);
    assert.ok(list.length > 0, 'results listed');
    for (const r of list) assert.ok(r.name.startsWith('王') || r.name.includes('王'), `result ${r.name} matches 王`);
    await shot(page, 'search.png');

    const first = list[0];
    await Promise.all([page.waitForURL(/\/persons\/\d+$/), page.locator('ul.people > li > a').first().click()]);
    const name = (await page.locator('main h1').innerText()).trim();
    assert.equal(name, first.name, 'the person file is the one clicked');
    const facts = await mainText(page);
    assert.ok(facts.includes(first.address), `the file shows the address ${first.address}`);
    assert.match(facts, /证件号码/);
    assert.match(facts, /变更记录/);
    const personPath = new URL(page.url()).pathname;
    await shot(page, 'person.png');

    await Promise.all([page.waitForURL(/\/households\/\d+$/), page.locator('main a.button[href^="/households/"]').click()]);
    assert.equal((await page.locator('main h1').innerText()).trim(), first.address, 'household heading is the address');
    const members = page.locator('main ul.people > li > a');
    const names = await members.locator('strong').allInnerTexts();
    assert.ok(names.includes(name), `household members ${names.join('、')} include ${name}`);
    assert.equal(await members.filter({ has: page.locator(`strong:text-is("${name}")`) }).first().getAttribute('href'), personPath);
    assert.ok(await page.getByRole('link', { name: '添加人员' }).isVisible(), '添加人员 link visible');
    found = { name, path: personPath, address: first.address };
  });
});

test('edit a phone: a bad number is explained at the field, a good one is saved and in the history', T, async () => {
  await withPhone({}, async (page) => {
    await login(page, 'demo-community-admin');
    if (!found) {
      await search(page, '王');
      const [r] = await results(page);
      found = { name: r.name, path: r.href, address: r.address };
    }
    await go(page, found.path);
    await Promise.all([page.waitForURL(/\/edit$/), page.getByRole('link', { name: '修改' }).click()]);
    assert.equal(await page.locator('#f-name').inputValue(), found.name);
    const oldPhone = await page.locator('#f-phone').inputValue();

    await page.fill('#f-phone', '12345');
    await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit].primary')]);
    const err = page.locator('#e-phone');
    await err.waitFor();
    assert.match(await err.innerText(), /手机号码应为 11 位/);
    assert.match(await page.locator('main .alert').innerText(), /请按提示修改/);
    // The message sits in the phone field's own block, and the input points at it.
    const field = page.locator('.field.invalid', { has: page.locator('#f-phone') });
    assert.equal(await field.count(), 1, 'the phone field is marked invalid');
    assert.equal(await field.locator('#e-phone').count(), 1, 'the message is next to the phone input');
    assert.equal(await page.locator('#f-phone').getAttribute('aria-describedby'), 'e-phone');
    assert.equal(await page.locator('#f-phone').inputValue(), '12345', 'what was typed is kept');
    assert.equal(await page.locator('.field.invalid').count(), 1, 'only the phone field is invalid');
    assert.equal(await page.locator('#f-name').inputValue(), found.name, 'other fields are kept');
    await page.locator('#e-phone').evaluate((el) => {
      window.scrollTo(0, 0);
      if (el.getBoundingClientRect().bottom > window.innerHeight) el.scrollIntoView({ block: 'end' });
    });
    await shot(page, 'person-form-error.png');

    await page.fill('#f-phone', '13912345678');
    await Promise.all([page.waitForURL((u) => u.pathname === found.path), page.click('main form button[type=submit].primary')]);
    const text = await mainText(page);
    assert.match(text, /联系电话\s*\n?\s*139\*{4}5678/, 'the file shows the new (masked) phone');
    const history = await page.locator('main ul.history').innerText();
    const line = history.split('\n').find((l) => l.includes('联系电话'));
    assert.ok(line, `history has a phone change: ${history}`);
    assert.match(line, /5678/, `history shows the new phone: ${line}`);
    assert.ok(oldPhone === '' || line.includes(oldPhone.slice(-4)), `history shows the old phone: ${line}`);
    assert.match(history, /demo-community-admin/, 'history names who changed it');
  });
});

test('import a CSV with 2 good and 2 bad rows: counts and the rejected rows with row and column', T, async () => {
  // Persons born 1902-03-04: none in the demo, so both good rows are new.
  const good1 = idNumber('410103', '19020304', '001');
  const good2 = idNumber('410103', '19020304', '002');
  const badId = withWrongCheck(idNumber('410103', '19020304', '003'));
  const good4 = idNumber('410103', '19020304', '004');
  const csv =
    [
      '姓名,证件号码,联系电话,小区,楼栋,单元,房号',
      `试导甲,${good1},13800000001,佳纷天地,1号楼,1单元,101`,
      `试导乙,${badId},13800000002,佳纷天地,1号楼,1单元,101`,
      `试导丙,${good2},13800000003,佳纷天地,1号楼,1单元,102`,
      `试导丁,${good4},12345,佳纷天地,1号楼,1单元,102`,
    ].join('\n') + '\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doorstep-e2e-csv-'));
  const file = path.join(dir, '名单.csv');
  fs.writeFileSync(file, csv, 'utf8');
  try {
    await withPhone({}, async (page) => {
      await login(page, 'demo-community-admin');
      await go(page, '/import');
      await page.selectOption('#area', COMMUNITY);
      await page.setInputFiles('#file', file);
      await Promise.all([page.waitForURL(/\/import\/[0-9a-z]+$/), page.click('main form button[type=submit]')]);
      // The job page refreshes itself until the import is done.
      await page.locator('main h1', { hasText: '导入完成' }).waitFor({ timeout: 45_000 });
      await page.waitForLoadState('load');
      assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0, 'a finished job stops refreshing');
      const text = await mainText(page);
      assert.ok(text.includes(COMMUNITY), 'the job names the area');
      const s = await stats(page);
      assert.equal(s['行数'], 4, `rows: ${JSON.stringify(s)}`);
      assert.equal(s['新建'], 2, `created: ${JSON.stringify(s)}`);
      assert.equal(s['拒绝'], 2, `rejected: ${JSON.stringify(s)}`);

      assert.match(text, /被拒绝的行/);
      const rows = await page.$$eval('table.errors tbody tr', (trs) =>
        trs.map((tr) => ({
          row: tr.cells[0].innerText.trim(),
          column: tr.cells[1].querySelector('strong')?.innerText.trim(),
          text: tr.cells[1].innerText.trim(),
        })),
      );
      assert.deepEqual(
        rows.map((r) => [r.row, r.column]),
        [
          ['3', '证件号码'],
          ['5', '联系电话'],
        ],
        `rejected rows: ${JSON.stringify(rows)}`,
      );
      assert.match(rows[0].text, /校验位/);
      assert.match(rows[1].text, /11 位/);

      // The rejected rows download as an Excel file.
      const link = page.locator('main a[href$="rejects.xlsx"]');
      assert.match(await link.innerText(), /下载被拒绝的行/);
      const res = await page.request.get(new URL(await link.getAttribute('href'), page.url()).href);
      assert.equal(res.status(), 200);
      const body = await res.body();
      assert.equal(body.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX (zip) file');
      await shot(page, 'import-result.png', { fullPage: true });

      // The good rows are in the registry now, the bad ones are not.
      await go(page, '/search?q=' + encodeURIComponent('试导'));
      const names = (await results(page)).map((r) => r.name).sort();
      assert.deepEqual(names, ['试导丙', '试导甲'], `imported persons: ${names}`);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('switch to English and back; Accept-Language is honoured', T, async () => {
  await withPhone({}, async (page) => {
    await login(page, 'demo-community-admin');
    assert.match(await headerText(page), /查找/);
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('header a[href^="/lang/en"]').click()]);
    const header = await headerText(page);
    assert.match(header, /Search/);
    assert.match(header, /Log out/);
    assert.match(header, /中文/);
    const text = await mainText(page);
    assert.match(text, /Households/);
    assert.match(text, /Persons/);
    assert.doesNotMatch(text, /户数|人数/);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await shot(page, 'home-en.png');

    // The choice sticks on other pages.
    await search(page, '王');
    assert.match(await mainText(page), /Total/);

    await Promise.all([page.waitForURL(/\/search/), page.locator('header a[href^="/lang/zh"]').click()]);
    const back = await headerText(page);
    assert.match(back, /查找/);
    assert.match(back, /退出/);
    assert.match(back, /English/);
    assert.match(await mainText(page), /共\s*\d+/);
  });
  // A browser that asks for English gets English before anyone logs in.
  await withPhone({ locale: 'en-US' }, async (page) => {
    await go(page, '/login');
    assert.match(await mainText(page), /Log in/);
    assert.match(await mainText(page), /Password/);
  });
});

test('a grid worker sees only their compound, with masked ID numbers', T, async () => {
  // As the community admin, find a name that lives only outside 佳纷天地.
  let outsider = null;
  await withPhone({}, async (page) => {
    await login(page, 'demo-community-admin');
    await search(page, '李');
    const candidates = (await results(page)).filter((r) => !r.address.startsWith('佳纷天地'));
    assert.ok(candidates.length > 0, 'the demo has people outside 佳纷天地');
    for (const c of candidates.slice(0, 10)) {
      await go(page, '/search?q=' + encodeURIComponent(c.name));
      const same = await results(page);
      if (same.length > 0 && same.every((r) => !r.address.startsWith('佳纷天地'))) {
        outsider = c;
        break;
      }
    }
    assert.ok(outsider, 'a name found only outside 佳纷天地');
  });

  await withPhone({}, async (page) => {
    await login(page, 'demo-grid-worker');
    const home = await mainText(page);
    assert.match(home, /网格员/);
    assert.match(home, /佳纷天地/);

    await search(page, outsider.name);
    assert.equal((await results(page)).length, 0, `grid worker must not find ${outsider.name} (${outsider.address})`);
    assert.match(await mainText(page), /共\s*0/);
    assert.match(await mainText(page), /没有找到/);

    // Nor open their file by its address.
    await go(page, outsider.href);
    assert.ok(!(await mainText(page)).includes(outsider.name), 'the other compound’s person file is not shown');

    // Their own compound: found, every ID number masked.
    await go(page, '/search?q=' + encodeURIComponent('王'));
    const own = await results(page);
    assert.ok(own.length > 0, 'grid worker finds people in 佳纷天地');
    for (const r of own) {
      assert.ok(r.address.startsWith('佳纷天地'), `${r.name} lives in 佳纷天地: ${r.address}`);
      assert.ok(r.idNumber.includes('********'), `ID number masked in the list: ${r.idNumber}`);
      assert.doesNotMatch(r.idNumber, /^\d{17}[\dX]$/);
    }
    // And in the household list.
    await go(page, own[0].href);
    await page.locator('main a.button[href^="/households/"]').click();
    await page.waitForURL(/\/households\/\d+$/);
    const ids = await page.locator('main ul.people .mono').allInnerTexts();
    const idLike = ids.filter((s) => /^\d{6}/.test(s));
    assert.ok(idLike.length > 0, 'household shows ID numbers');
    for (const id of idLike) assert.ok(id.includes('********'), `ID number masked in the household: ${id}`);
  });
});
