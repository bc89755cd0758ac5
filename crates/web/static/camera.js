// Scanning with the phone's camera, for every page that scans (the sampler, the checkpoint
// register): where the browser has BarcodeDetector, `doorstepCamera(button, video, onCode,
// onFail)` shows the button; a tap starts the back camera and reads codes three times a
// second, handing each new one to onCode (the same code again within 3 s is the same scan);
// a second tap stops. Without BarcodeDetector the button stays hidden and a keyboard-wedge
// scanner or typing works as before.
(function () {
  'use strict';
  window.doorstepCamera = function (button, video, onCode, onFail) {
    if (!button || !video) return;
    if (!('BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;
    var stream = null;
    var last = { v: '', at: 0 };
    var stop = function () {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.hidden = true;
    };
    var got = function (v) {
      var now = Date.now();
      if (v === last.v && now - last.at < 3000) return;
      last = { v: v, at: now };
      onCode(v);
    };
    button.hidden = false;
    button.addEventListener('click', function () {
      if (stream) { stop(); return; }
      var detector = new window.BarcodeDetector();
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
        .then(function (s) { stream = s; video.srcObject = s; video.hidden = false; return video.play(); })
        .then(function tick() {
          if (!stream) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) got(codes[0].rawValue);
            setTimeout(tick, 300);
          }, function () { setTimeout(tick, 600); });
        })
        .catch(function () { stop(); if (onFail) onFail(); });
    });
  };
})();
