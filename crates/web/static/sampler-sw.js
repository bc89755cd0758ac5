// The sampler page's service worker (scope /rounds/): a phone that lost the network and was
// reloaded still opens the sampler's page, from the copy kept the last time it loaded, and its
// queue (sampler.js, in localStorage) sends what was scanned when the network is back.
// It keeps only the page as a GET without a household (no person is on it: the household
// variant lists members and is never kept) and the static files the page needs; a copy
// the server redirected (to the login) is not kept. Nothing else goes through it.
'use strict';
// sampler.js puts the page's first load here too, by this name.
var CACHE = 'doorstep-sampler-v2';
var SHELL = ['/static/app.css', '/static/camera.js', '/static/sampler.js'];
var PAGE = /^\/rounds\/\d+\/sample$/;

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

var keep = function (key, res) {
  if (res.ok && !res.redirected) {
    var copy = res.clone();
    caches.open(CACHE).then(function (c) { return c.put(key, copy); });
  }
  return res;
};

self.addEventListener('fetch', function (e) {
  var req = e.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (PAGE.test(url.pathname) && !url.searchParams.has('household')) {
    // The network first (the page is live: tubes, counts); the kept copy when it fails.
    e.respondWith(fetch(req).then(function (res) { return keep(url.pathname, res); }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    e.respondWith(fetch(req).then(function (res) { return keep(url.pathname, res); }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
