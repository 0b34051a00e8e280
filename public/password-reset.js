// The e-mailed link carries its token after "#", which the browser never sends to the server (no
// access log, no Referer holds it): copy it into the form and take it out of the address bar.
(function () {
  var token = window.location.hash.slice(1);
  var box = document.querySelector('#reset-confirm input[name="token"]');
  if (!token || !box || !/^[A-Za-z0-9_-]{20,200}$/.test(token)) return;
  box.value = token;
  history.replaceState(null, '', window.location.pathname);
  var next = document.querySelector('#reset-confirm input[name="password"]');
  if (next) next.focus();
})();
