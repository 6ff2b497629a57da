// What the browser scripts share: Debian's headless Chromium with software WebGL, and opening a
// join link until the client says the table is on screen (it sets window.emberkeepTableAt, the
// milliseconds since page load, once the map and tokens are drawn).
import { chromium } from "playwright-core";

// launch(extraArgs, options): Chromium as the tests run it; CHROMIUM overrides its path.
export function launch(extraArgs = [], options = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--ignore-gpu-blocklist",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      ...extraArgs,
    ],
    ...options,
  });
}

// openTable(browser, url): a 1280×720 page that forwards the page's errors to our output,
// loaded from url and waited on (up to 240 s) until the table is drawn.
export async function openTable(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on("console", (m) => {
    if (m.type() === "error" || /panicked|ERROR/.test(m.text())) console.log(`[page] ${m.text()}`);
  });
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.emberkeepTableAt !== undefined, null, { timeout: 240_000 });
  return page;
}

// checkLoadStages(page): the loading screen's stages (window.emberkeepLoad, milliseconds since
// page load) as one line, or throws unless download → compiling → connecting → table happened
// in that order.
export async function checkLoadStages(page) {
  const stages = await page.evaluate(() => window.emberkeepLoad ?? []);
  const line = stages.map((s) => `${s.stage} ${(s.at / 1000).toFixed(2)} s`).join(" → ");
  const want = ["download", "compiling", "connecting", "table"];
  const names = stages.map((s) => s.stage);
  const inOrder = stages.every((s, i) => i === 0 || s.at >= stages[i - 1].at);
  if (names.join() !== want.join() || !inOrder) {
    throw new Error(`loading stages out of order: ${line || "none"} (want ${want.join(" → ")})`);
  }
  return line;
}
