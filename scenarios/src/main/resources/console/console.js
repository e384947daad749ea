// The classroom console's only script: live updates. A page whose <main> has data-live="topics" is fetched again
// (just its <main>) when the lab announces a change to one of those topics over server-sent events; the header's
// clock follows too. Without this script every page still works: it only saves pressing reload.
(function () {
  'use strict';
  const main = document.querySelector('main[data-live]');
  if (!main || !window.EventSource) {
    return;
  }
  const topics = main.dataset.live.split(' ');
  let pending = null;
  function busy() {
    const a = document.activeElement;
    return a && main.contains(a) && a.matches('input, select, textarea') && a.value !== a.defaultValue;
  }
  async function refresh() {
    pending = null;
    if (busy()) {
      pending = setTimeout(refresh, 1000);
      return;
    }
    const focused = document.activeElement && document.activeElement.id;
    const response = await fetch(location.href, { headers: { 'X-Console-Fragment': 'main' }, credentials: 'same-origin' });
    if (!response.ok && response.status !== 403 && response.status !== 409) {
      return;
    }
    main.innerHTML = await response.text();
    if (response.headers.get('X-Console-Version')) {
      main.dataset.version = response.headers.get('X-Console-Version');
    }
    const clock = document.querySelector('#lab-clock time');
    if (clock && response.headers.get('X-Lab-Clock')) {
      clock.textContent = response.headers.get('X-Lab-Clock');
    }
    if (focused) {
      const again = document.getElementById(focused);
      if (again) {
        again.focus();
      }
    }
    document.dispatchEvent(new CustomEvent('console:refreshed'));
  }
  function soon() {
    if (pending === null) {
      pending = setTimeout(refresh, 150);
    }
  }
  const events = new EventSource('/events');
  events.addEventListener('changed', function (e) {
    if (e.data === '*' || topics.includes(e.data)) {
      soon();
    }
  });
  // the stream opens (and reopens) with the count of changes told so far: a page rendered before some of them catches up
  events.addEventListener('version', function (e) {
    if (Number(e.data) > Number(main.dataset.version || 0)) {
      soon();
    }
  });
})();
