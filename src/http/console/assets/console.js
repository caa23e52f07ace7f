// Progressive enhancement for the console; every page works without it (times then show in UTC, lists refresh
// on reload). Loaded as a module from 'self' only: the CSP allows no inline script.

// With the zone's name: a time without one is read as the reader's own zone, which an admin comparing with an IdP's
// log (often UTC) gets wrong.
const format = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZoneName: "short",
});

/** <time datetime> in the admin's time zone; the exact UTC time stays on hover. */
function localTimes(root) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    if (t.dataset.local) continue;
    const iso = t.getAttribute("datetime");
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) continue;
    t.textContent = format.format(d);
    t.title = `${iso.replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
    t.dataset.local = "1";
  }
}

/** Shows why live updates stopped, once, at the top of the region. */
function notice(region, text, href) {
  let p = region.previousElementSibling;
  if (!p?.classList.contains("live-notice")) {
    p = document.createElement("p");
    p.className = "live-notice";
    p.setAttribute("role", "status");
    region.before(p);
  }
  p.textContent = text;
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = "Sign in again";
    p.append(" ", a);
  }
}

/** A region with data-live="url" is re-fetched every data-every ms, unless the admin is working inside it. */
function live(region) {
  const every = Number(region.dataset.every || 5000);
  const busy = () =>
    document.hidden ||
    region.contains(document.activeElement) ||
    region.querySelector("input[type=checkbox]:checked") !== null;
  const timer = setInterval(async () => {
    if (busy()) return;
    try {
      const res = await fetch(region.dataset.live, { headers: { "X-Console-Live": "1" } });
      if (res.status === 401) {
        clearInterval(timer);
        notice(region, "Your session ended, so live updates stopped.", "/console/sign-in");
        return;
      }
      if (!res.ok) throw new Error(String(res.status));
      region.innerHTML = await res.text();
      region.previousElementSibling?.classList.contains("live-notice") &&
        region.previousElementSibling.remove();
      localTimes(region);
      if (region.querySelector("[data-live-done]")) clearInterval(timer);
    } catch {
      notice(region, "Live updates paused: the bridge did not answer. Retrying…");
    }
  }, every);
  if (region.querySelector("[data-live-done]")) clearInterval(timer);
}

/** Forms that change many things ask first. */
function confirmations() {
  document.addEventListener("submit", (e) => {
    const form = e.target;
    const button = e.submitter;
    const message = button?.dataset.confirm ?? form.dataset.confirm;
    if (message && !window.confirm(message)) e.preventDefault();
  });
}

/** "Select all" checkboxes toggle the boxes of their own table. */
function selectAll() {
  document.addEventListener("change", (e) => {
    const box = e.target;
    if (!box.matches?.("input[data-select-all]")) return;
    for (const b of box.closest("table").querySelectorAll("input[type=checkbox][name]"))
      b.checked = box.checked;
  });
}

localTimes(document);
for (const region of document.querySelectorAll("[data-live]")) live(region);
confirmations();
selectAll();
