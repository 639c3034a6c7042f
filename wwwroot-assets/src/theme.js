// Loaded as a blocking classic script in <head> (the CSP allows no inline script), so it runs
// before anything is painted. The server renders light or dark from two cookies: ops-theme (the
// person's choice, set by the app bar's toggle) and ops-os-theme (the OS preference this script
// saw last). When the page was rendered in the other theme (a first visit, or the OS switched
// since), the cookie is brought up to date and the page reloaded before its body is parsed.
(function () {
  const root = document.documentElement;
  const year = '; max-age=31536000; path=/; samesite=lax';
  const cookie = (name) => (document.cookie.match(new RegExp('(?:^|; )' + name + '=(dark|light)')) || [])[1];

  const os = window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  if (cookie('ops-os-theme') !== os) {
    document.cookie = 'ops-os-theme=' + os + year;
  }
  const wanted = cookie('ops-theme') || os;
  const rendered = root.dataset.theme;
  // Only when the cookie stuck (or the reload would render the same page again), and once per address.
  if (rendered && rendered !== wanted && cookie('ops-os-theme') === os && sessionStorage.getItem('ops-theme-reload') !== location.href) {
    sessionStorage.setItem('ops-theme-reload', location.href);
    root.dataset.theme = wanted;
    location.reload();
    return;
  }
  sessionStorage.removeItem('ops-theme-reload');

  // The browser's zone, for the "browser's zone" time setting (see DisplayZone.cs): kept current on
  // every load, so a laptop that travelled shows its new zone from the next page on.
  const zone = (Intl.DateTimeFormat().resolvedOptions().timeZone || '');
  if (/^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+){0,2}$/.test(zone) && zone.length <= 64
      && (document.cookie.match(/(?:^|; )ops-browser-tz=([^;]*)/) || [])[1] !== zone) {
    document.cookie = 'ops-browser-tz=' + zone + year;
  }

  window.opsTheme = {
    /** The toggle's choice: remembered for a year and sent with every request from now on. */
    choose(theme) {
      document.cookie = 'ops-theme=' + theme + year;
      root.dataset.theme = theme;
    },
    /** The time setting ('utc' or 'browser'): the caller reloads, so every time on the page follows. */
    chooseZone(choice) {
      document.cookie = 'ops-tz=' + (choice === 'browser' ? 'browser' : 'utc') + year;
    },
  };
})();
