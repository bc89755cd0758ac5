// The checkpoint register (卡口登记). The page works without this script (one form post per
// passage). With it: the camera button reads a personal code or an ID card's barcode into the
// scan field and records it (static/camera.js); and with no network the form is not sent
// into an error page that loses what was typed — the guard is told the verdict needs the
// network (the register refuses or warns from the server's records), and the entry stays
// in the form to record once the phone is back online.
(function () {
  'use strict';
  var form = document.getElementById('register-form');
  var scan = document.getElementById('r-scan');
  var say = document.getElementById('cam-say');
  if (!form || !scan || !say) return;
  var tell = function (key) {
    say.textContent = say.getAttribute('data-t-' + key) || key;
    say.hidden = false;
  };
  var submit = function () {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  };
  form.addEventListener('submit', function (e) {
    if (navigator.onLine === false) {
      e.preventDefault();
      tell('offline');
    }
  });
  window.addEventListener('online', function () { say.hidden = true; });
  if (window.doorstepCamera) {
    window.doorstepCamera(document.getElementById('camera'), document.getElementById('cam'), function (v) {
      scan.value = v;
      submit();
    }, function () { tell('no-camera'); });
  }
})();
