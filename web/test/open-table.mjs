// The tour's browser seat (scripts/tour.sh): opens a join link in headless Chromium, waits for
// the rendered table, lets it settle, saves a screenshot and closes.
//
// node web/test/open-table.mjs URL SCREENSHOT.png
import { launch, openTable } from "./chromium.mjs";

const [url, shot] = process.argv.slice(2);
if (!url || !shot) {
  console.error("usage: node open-table.mjs URL SCREENSHOT.png");
  process.exit(2);
}
const browser = await launch();
let failed = false;
try {
  const page = await openTable(browser, url);
  const title = await page.title();
  const at = await page.evaluate(() => window.emberkeepTableAt);
  console.log(`browser: table on screen ${(at / 1000).toFixed(1)} s after page load (${title})`);
  // Textures and the first replicated state settle over a few frames of software WebGL.
  await page.waitForTimeout(3000);
  await page.screenshot({ path: shot });
  console.log(`browser: saved ${shot}`);
} catch (e) {
  console.error(`browser: ${e.message}`);
  failed = true;
}
await browser.close();
process.exit(failed ? 1 : 0);
