// Server-side HTML for the console: a tagged template that escapes every interpolated value unless it is
// already markup, and the page layout. No inline script or style anywhere (the CSP forbids both).

/** Markup that is already safe to emit (built by `html`). */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

type Part = Html | string | number | boolean | null | undefined | Part[];

function render(v: Part): string {
  if (v === null || v === undefined || v === false) return "";
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join("");
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** A timestamp: UTC in the markup (exact, on hover too); the console script shows it in the admin's time zone. */
export function time(d: Date | string | null | undefined): Html {
  if (!d) return html`<span class="muted">—</span>`;
  const iso = new Date(d).toISOString();
  const utc = `${iso.replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
  return html`<time datetime="${iso}" title="${iso}">${utc}</time>`;
}

export interface Page {
  title: string;
  /** Which navigation entry is current. */
  nav?: "overview" | "find" | "work" | "deliveries" | "runs" | "audit";
  actor?: string;
  csrf?: string;
  flash?: string | null;
  body: Html;
}

const NAV: [Page["nav"], string, string][] = [
  ["overview", "/console", "Overview"],
  ["find", "/console/find", "Find"],
  ["work", "/console/work", "Failed & held"],
  ["deliveries", "/console/deliveries", "Deliveries"],
  ["runs", "/console/runs", "Reconcile & import"],
  ["audit", "/console/audit", "Audit"],
];

export function layout(p: Page): string {
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · scim-bridge console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">scim-bridge</span>
  ${
    p.actor
      ? html`<nav aria-label="Console">${NAV.map(
          ([key, href, label]) =>
            html`<a href="${href}"${key === p.nav ? html` aria-current="page"` : ""}>${label}</a>`,
        )}</nav>
  <form method="post" action="/console/sign-out" class="signout">
    <input type="hidden" name="_csrf" value="${p.csrf}">
    <span class="muted">${p.actor}</span> <button type="submit">Sign out</button>
  </form>`
      : ""
  }
</header>
<main id="main" tabindex="-1">
${p.flash ? html`<p class="flash" role="status">${p.flash}</p>` : ""}
${p.body}
</main>
</body>
</html>`}`;
}

/** A hidden CSRF field for a form. */
export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

/** An empty state that says what to do. */
export const empty = (what: string, todo: string) =>
  html`<p class="empty"><strong>${what}</strong> ${todo}</p>`;

export function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}
