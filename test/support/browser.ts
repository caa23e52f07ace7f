// A real Chromium (Debian's, driven by playwright-core) for the console's browser tests. Locally the tests skip
// with a message when it is missing; in CI (CI=true) they fail instead, since .ci/run installs it.
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { describe } from "vitest";
import { ADMIN_TOKEN } from "./bridge.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.ts";
import { fileFixture } from "./fixture.ts";

export { CHROMIUM };

const present = existsSync(CHROMIUM);

/** `describe` when Chromium is there; otherwise a skip with the reason, or (in CI) a failing suite. */
export function describeInBrowser(name: string, body: () => void) {
  if (present) return describe(name, body);
  if (process.env.CI)
    return describe(name, () => {
      throw new Error(
        `${CHROMIUM} is missing: .ci/run installs Debian's chromium; the console tests need it`,
      );
    });
  console.warn(
    `skipping "${name}": no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
  return describe.skip(name, body);
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /**
   * Saves a screenshot of the whole page under test-results/screenshots/; with UPDATE_SCREENSHOTS=1 into
   * docs/screenshots/ instead (the committed copies the README shows), so a test run never dirties the checkout.
   */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

const SHOTS = new URL(
  process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/",
  import.meta.url,
).pathname;

/** `javaScript: false` reads the console as a browser without scripts does (every page must work so). */
export async function openBrowser(
  viewport = { width: 1280, height: 900 },
  options: { javaScript?: boolean } = {},
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    javaScriptEnabled: options.javaScript ?? true,
    timezoneId: "Europe/Paris",
    locale: "en-GB",
    args: CHROMIUM_ARGS,
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async screenshot(name) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the form, as an admin would. */
export async function signIn(page: Page, url: string, token: string) {
  await page.goto(`${url}/console`);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${url}/console`);
}

/**
 * A browser signed in to the console of `bridge` (a fixture such as bridgeOnEmulators) with the admin token: opened
 * before the file's tests, after the bridge started, and closed after them, before it stops.
 */
export function signedInBrowser(
  bridge: { readonly url: string },
  options: { javaScript?: boolean } = {},
): TestBrowser {
  return fileFixture(
    "the browser",
    async () => {
      const b = await openBrowser(undefined, options);
      await signIn(b.page, bridge.url, ADMIN_TOKEN);
      return b;
    },
    (b) => b.close(),
    120_000, // a hang guard: a browser starts slowly on a loaded machine
  );
}
