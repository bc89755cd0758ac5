// The sampler's page (采样). The page works without this script (one form post per scan);
// with it, every scan gets its own id and is queued on the phone first (localStorage), shown
// as 待上传 N, and sent; a scan the network lost stays queued and is sent again when the phone
// is back online and every few seconds. The server answers a scan it has seen with the first
// answer, so a resend never doubles. Refusals are listed for the sampler to read. A scanner
// gun types the code and presses Enter: Enter in the tube field goes on to the person field,
// Enter in the person field records. Where the browser has BarcodeDetector, a camera button
// (static/camera.js, loaded before this script).
(function () {
  'use strict';
  var root = document.getElementById('sampler');
  if (!root || !window.fetch || !window.JSON) return;
  var $ = function (id) { return document.getElementById(id); };
  var text = function (k) { return root.getAttribute('data-t-' + k) || k; };
  var round = root.getAttribute('data-round');
  var roundPool = Number(root.getAttribute('data-pool')) || 1;
  var form = $('scan-form');
  var tubeIn = $('s-tube');
  var personIn = $('s-person');
  var retestIn = $('s-retest');
  // The sampling point (采样点), where the round has points: remembered per round and sampler.
  var pointIn = $('s-point');
  var csrf = $('csrf').value;
  // One queue per round and sampler: a phone passed to a colleague never sends one's scans as the other's.
  var KEY = 'doorstep.sampler.' + round + '.' + (root.getAttribute('data-user') || '');
  var MAX_BATCH = 500;

  var fresh = function () { return { tube: '', tubes: {}, queue: [], recent: [], refused: [] }; };
  var state = (function () {
    try {
      var s = JSON.parse(localStorage.getItem(KEY) || 'null');
      if (s && s.queue && s.tubes) return s;
    } catch (e) { /* a broken store starts afresh */ }
    return fresh();
  })();
  var save = function () {
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* full or private */ }
  };

  var norm = function (s) { return String(s || '').replace(/\s+/g, '').toUpperCase(); };
  // A scan's id: the time first (milliseconds, base 36, fixed width), then 16 random hex digits.
  // Ids that grow with time go in at the end of the server's index of them, one page for many
  // scans, where random ones each dirtied a page of their own at every commit.
  var newId = function () {
    var b = new Uint8Array(8);
    window.crypto.getRandomValues(b);
    var t = ('000000000' + Date.now().toString(36)).slice(-9);
    return t + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  };
  // A personal code (个人码) is P and 20 Crockford base32 characters; anything else is an ID number.
  var personOf = function (raw) {
    var s = norm(raw);
    return /^P[0-9A-HJKMNP-TV-Z]{20}$/.test(s) ? { code: s } : { id_number: raw.trim() };
  };
  var masked = function (raw) {
    var s = norm(raw);
    return s.length > 10 ? s.slice(0, 6) + new Array(s.length - 9).join('*') + s.slice(-4) : s;
  };
  var known = function (code) { return state.tubes[code] || { count: 0, pool: roundPool, closed: false }; };
  var queuedIn = function (code) {
    return state.queue.filter(function (q) { return q.tube === code; }).length;
  };
  // The tube's count as far as this phone knows: the server's last answer and what is queued.
  var count = function (code) { return known(code).count + queuedIn(code); };
  var full = function (code) { var k = known(code); return k.closed || count(code) >= k.pool; };

  var el = function (tag, cls, txt) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (txt !== undefined) e.textContent = txt;
    return e;
  };
  var say = function (message, kind) {
    var box = $('msg');
    box.textContent = '';
    if (!message) return;
    var p = el('p', kind === 'ok' ? 'note' : kind === 'warn' ? 'warning' : 'alert refusal', message);
    if (kind !== 'ok') p.setAttribute('role', 'alert');
    box.appendChild(p);
  };

  var render = function () {
    var code = state.tube;
    $('cur-tube').textContent = code || '—';
    $('cur-count').textContent = code ? String(count(code)) : '0';
    $('cur-pool').textContent = String(code ? known(code).pool : roundPool);
    $('close-tube').value = code;
    $('close-form').hidden = !code;
    var n = state.queue.length;
    $('queue').hidden = n === 0;
    $('queued').textContent = String(n);
    // Queued scans first (newest on top, 待上传), then those the server recorded.
    var queued = state.queue.slice().reverse().map(function (q) {
      return { name: '', id_number: q.shown, address: '', tube: q.tube, retest: q.retest, queued: true };
    });
    var lines = queued.concat(state.recent).slice(0, 6);
    if (lines.length) {
      var list = $('recent');
      list.textContent = '';
      lines.forEach(function (r) {
        var li = el('li');
        if (r.name) li.appendChild(el('strong', '', r.name + ' '));
        li.appendChild(el('span', 'mono', r.id_number));
        if (r.queued) li.appendChild(el('span', 'tag queued', text('queued')));
        if (r.retest) li.appendChild(el('span', 'tag', text('retest')));
        if (r.outside) li.appendChild(el('span', 'tag', '⚠ ' + text('outside-short')));
        li.appendChild(el('br'));
        li.appendChild(el('span', 'muted', (r.address ? r.address + ' · ' : '') + r.tube));
        list.appendChild(li);
      });
    }
    var box = $('refused-box');
    box.hidden = state.refused.length === 0;
    var ul = $('refused');
    ul.textContent = '';
    state.refused.slice(0, 10).forEach(function (r) {
      var li = el('li', 'refusal');
      li.appendChild(el('strong', '', r.message));
      li.appendChild(el('br'));
      li.appendChild(el('span', 'mono muted', r.who + ' · ' + r.tube));
      ul.appendChild(li);
    });
  };

  // The tube in the field becomes the current one (unless it is full or closed).
  var takeTube = function (focusNext) {
    var code = norm(tubeIn.value);
    if (!code) { say(text('need-tube')); tubeIn.focus(); return false; }
    if (full(code)) {
      say(text('closed-known'));
      tubeIn.value = '';
      tubeIn.focus();
      return false;
    }
    tubeIn.value = code;
    if (state.tube !== code) say('');
    state.tube = code;
    save();
    render();
    if (focusNext) personIn.focus();
    return true;
  };
  // The current tube is full: ask for the next one.
  var nextTube = function () {
    state.tube = '';
    tubeIn.value = '';
    say(text('full'), 'ok');
    tubeIn.focus();
  };

  var wire = function (q) {
    var w = { client_id: q.client_id, tube: q.tube, person: q.person, retest: q.retest };
    if (q.point) w.point = q.point;
    return w;
  };

  // One answer (as the API's batch gives it) applied to the queue.
  var apply = function (res) {
    var i = -1;
    state.queue.forEach(function (q, n) { if (q.client_id === res.client_id) i = n; });
    if (i < 0) return;
    var item = state.queue[i];
    if (res.status === 200 || res.status === 201) {
      state.queue.splice(i, 1);
      var s = res.scan;
      var t = s.tube;
      state.tubes[t.code] = { count: t.count, pool: t.pool_size, closed: t.closed };
      var outside = (s.warnings || []).indexOf('tube_outside_batch') >= 0;
      state.recent.unshift({ name: s.person.name, id_number: s.person.id_number, address: s.person.address, tube: t.code, retest: s.retest, outside: outside });
      state.recent = state.recent.slice(0, 10);
      if (t.closed && state.tube === t.code) nextTube();
      // A warning, not a refusal: the scan is recorded; the sampler checks the tube.
      if (outside) say('⚠ ' + text('outside-batch') + ' · ' + t.code, 'warn');
    } else if (res.status === 409 || res.status === 404 || res.status === 422) {
      state.queue.splice(i, 1);
      var code = res.error && res.error.error;
      var m = res.status === 404 ? text('not-found') : (res.error && res.error.message) || String(res.status);
      state.refused.unshift({ message: m, who: item.shown, tube: item.tube });
      state.refused = state.refused.slice(0, 20);
      say(m + ' · ' + item.shown);
      if (code === 'tube_full' || code === 'tube_closed' || code === 'tube_in_other_round') {
        var k = known(item.tube);
        state.tubes[item.tube] = { count: k.count, pool: k.pool, closed: true };
        if (state.tube === item.tube) { state.tube = ''; tubeIn.value = ''; tubeIn.focus(); }
      }
    }
    // Anything else (the server failed, the login expired) stays queued for the next try.
  };

  var post = function (url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      var type = res.headers.get('content-type') || '';
      // A login page instead of an answer: the session ended.
      if (res.redirected || type.indexOf('application/json') < 0) throw { login: true };
      return res.json().then(function (j) { return { status: res.status, body: j }; });
    });
  };

  var sending = null;
  var flush = function () {
    if (sending) return sending;
    if (!state.queue.length) return Promise.resolve();
    var items = state.queue.slice(0, MAX_BATCH);
    var one = items.length === 1;
    var url = '/rounds/' + round + '/sample/scans' + (one ? '' : '/batch');
    var again = false;
    sending = post(url, one ? wire(items[0]) : { scans: items.map(wire) })
      .then(function (r) {
        if (one) {
          var ok = r.status === 200 || r.status === 201;
          apply({ client_id: items[0].client_id, status: r.status, scan: ok ? r.body : null, error: ok ? null : r.body });
        } else if (r.status === 200 && r.body.results) {
          r.body.results.forEach(apply);
        } else if (r.status === 401 || r.status === 403) {
          throw { login: true };
        } else {
          say((r.body && r.body.message) || String(r.status));
          return;
        }
        again = state.queue.length > 0;
      })
      .catch(function (err) {
        if (err && err.login) say(text('login'));
        else say(text('offline'), 'ok');
      })
      .then(function () {
        sending = null;
        save();
        render();
        if (again) return flush();
      });
    return sending;
  };

  tubeIn.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); takeTube(true); }
  });
  tubeIn.addEventListener('change', function () { if (norm(tubeIn.value) !== state.tube) takeTube(false); });

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!state.tube || norm(tubeIn.value) !== state.tube) {
      if (!takeTube(false)) return;
    }
    // A household member picked from the list (sampling at the door), else the scanned field.
    var picked = e.submitter && e.submitter.name === 'person_id' ? e.submitter : null;
    var raw = personIn.value.trim();
    if (!picked && !raw) { personIn.focus(); return; }
    var code = state.tube;
    var point = pointIn && pointIn.value ? Number(pointIn.value) : null;
    var person = picked ? { person_id: Number(picked.value) } : personOf(raw);
    var shown = picked ? picked.getAttribute('data-shown') : masked(raw);
    state.queue.push({ client_id: newId(), tube: code, person: person, retest: retestIn.checked, shown: shown, point: point });
    personIn.value = '';
    retestIn.checked = false;
    if (navigator.onLine === false) say(text('offline'), 'ok');
    else say('');
    // Full by this phone's count (offline too): on to the next tube.
    if (count(code) >= known(code).pool) nextTube();
    else personIn.focus();
    save();
    render();
    flush();
  });

  $('close-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var code = state.tube;
    if (!code) { say(text('need-tube')); tubeIn.focus(); return; }
    var n = count(code);
    var p = known(code).pool;
    if (n < p && !window.confirm(text('short').replace('{n}', n).replace('{p}', p))) return;
    flush().then(function () {
      if (queuedIn(code)) { say(text('closing-offline')); return; }
      return post('/rounds/' + round + '/sample/tubes/' + encodeURIComponent(code) + '/close').then(function (r) {
        if (r.status !== 200) { say((r.body && r.body.message) || String(r.status)); return; }
        state.tubes[code] = { count: r.body.count, pool: r.body.pool_size, closed: true };
        if (state.tube === code) { state.tube = ''; tubeIn.value = ''; }
        say(text('closed') + ' ' + code + ' · ' + r.body.count + '/' + r.body.pool_size, 'ok');
        save();
        render();
        tubeIn.focus();
      });
    }).catch(function () { say(text('closing-offline')); });
  });

  // The camera, where the browser can read codes itself (static/camera.js).
  if (window.doorstepCamera) {
    window.doorstepCamera($('camera'), $('cam'), function (v) {
      if (!state.tube) { tubeIn.value = v; takeTube(true); return; }
      personIn.value = v;
      if (form.requestSubmit) form.requestSubmit(); else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }, function () { say(text('no-camera')); });
  }

  if (pointIn) {
    // The phone's last choice, unless the page was asked for a point (?point=).
    var asked = /[?&]point=/.test(window.location.search);
    var has = function (v) { return Array.prototype.some.call(pointIn.options, function (o) { return o.value === v; }); };
    if (!asked && state.point && has(state.point)) pointIn.value = state.point;
    state.point = pointIn.value;
    pointIn.addEventListener('change', function () { state.point = pointIn.value; save(); });
  }

  // The page's own tube (?tube= or a no-script post) wins; else the phone's last one.
  var given = norm(tubeIn.value);
  if (given) {
    state.tube = given;
    var served = Number($('cur-count').textContent) || 0;
    if (served >= known(given).count) state.tubes[given] = { count: served, pool: Number($('cur-pool').textContent) || roundPool, closed: false };
  }
  else if (state.tube && !full(state.tube)) tubeIn.value = state.tube;
  else state.tube = '';
  save();
  render();
  (state.tube ? personIn : tubeIn).focus();
  // Reloaded with no network, the page still opens (static/sampler-sw.js keeps a copy).
  // The first load came before the worker: keep this page now (the worker's cache, by path;
  // never the household variant, which lists persons).
  if ('serviceWorker' in navigator && window.caches) {
    navigator.serviceWorker.register('/sampler-sw.js', { scope: '/rounds/' }).then(function () {
      if (/[?&]household=/.test(window.location.search)) return;
      var path = window.location.pathname;
      return fetch(path, { credentials: 'same-origin' }).then(function (res) {
        if (res.ok && !res.redirected) return caches.open('doorstep-sampler-v2').then(function (c) { return c.put(path, res); });
      });
    }).catch(function () {});
  }
  window.addEventListener('online', flush);
  setInterval(function () { if (state.queue.length) flush(); }, 8000);
  flush();
})();
