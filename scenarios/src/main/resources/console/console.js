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
  // a form the user has started filling in is not replaced under them: the refresh waits until they submit or leave
  let dirty = false;
  main.addEventListener('input', function () { dirty = true; });
  main.addEventListener('change', function () { dirty = true; });
  function busy() {
    const a = document.activeElement;
    return dirty || (a && main.contains(a) && a.matches('input, textarea') && a.value !== a.defaultValue);
  }
  async function refresh() {
    pending = null;
    if (busy()) {
      pending = setTimeout(refresh, 1000);
      return;
    }
    const focused = document.activeElement && document.activeElement.id;
    const response = await fetch(location.href, { headers: { 'X-Console-Fragment': 'main' }, credentials: 'same-origin' });
    if (response.status === 401 || response.redirected) {
      // the session ended (signed out elsewhere, idle for an hour): the whole page shows the sign-in
      location.reload();
      return;
    }
    if (!response.ok && response.status !== 403 && response.status !== 409) {
      return;
    }
    const text = await response.text();
    if (busy()) {
      // the user began filling in a form while the page was being fetched: theirs wins, the page catches up later
      pending = setTimeout(refresh, 1000);
      return;
    }
    // the message an action left (what the CA did, why it refused) stays until the user leaves the page
    const note = main.querySelector(':scope > .message');
    main.innerHTML = text;
    const heading = main.querySelector(':scope > h1');
    if (note && heading && !main.querySelector(':scope > .message')) {
      heading.after(note);
    }
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
