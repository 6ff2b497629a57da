// A phone's browser at the table: opens a join link in Chromium emulating a phone held
// upright (390×844 CSS pixels, touch, 2× pixels), waits for the table, saves a screenshot of
// the portrait layout, then plays a turn with taps only (the Play tab, then Dash) until the
// server's log shows the character dashing. With a display link, a shared screen (`&display`)
// watches meanwhile and must read the new narration aloud (its speech synthesis is asked to;
// headless Chromium may make no sound).
//
// node web-phone.mjs URL SCREENSHOT.png SERVER_LOG CHARACTER_NAME [DISPLAY_URL]
import { readFileSync } from "node:fs";
import { checkLoadStages, launch } from "./chromium.mjs";

const [url, shot, serverLog, character, displayUrl] = process.argv.slice(2);
if (!url || !shot || !serverLog || !character) {
  console.error("usage: node web-phone.mjs URL SCREENSHOT.png SERVER_LOG CHARACTER_NAME [DISPLAY_URL]");
  process.exit(2);
}
const browser = await launch();
const fail = async (why) => {
  console.error(`phone test: ${why}`);
  await browser.close();
  process.exit(1);
};
const forward = (who, page) => {
  page.on("console", (m) => {
    if (m.type() === "error" || /panicked|ERROR/.test(m.text())) console.log(`[${who}] ${m.text()}`);
  });
  page.on("pageerror", (e) => console.log(`[${who} error] ${e.message}`));
};
const tableOn = (page) =>
  page.waitForFunction(() => window.emberkeepTableAt !== undefined, null, { timeout: 240_000 });
try {
  // The shared screen first, so the narration of the phone's turn is new to it.
  let display;
  if (displayUrl) {
    display = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    forward("display", display);
    await display.goto(displayUrl);
    await tableOn(display);
    console.log(`display: table on screen (${await display.title()})`);
  }
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent:
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
  });
  const page = await context.newPage();
  forward("phone", page);
  await page.goto(url);
  await tableOn(page);
  const at = await page.evaluate(() => window.emberkeepTableAt);
  console.log(`phone: table on screen ${(at / 1000).toFixed(2)} s after page load (${await page.title()})`);
  console.log(`phone: loading screen: ${await checkLoadStages(page)}`);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: shot });
  console.log(`phone: saved ${shot}`);
  // Tap a button the client says is at [x, y, w, h] (physical pixels) like a finger would.
  const tap = async (label) => {
    const place = await page.evaluate((l) => {
      const b = (window.emberkeepButtons ?? {})[l];
      return b && b.map((v) => v / window.devicePixelRatio);
    }, label);
    if (!place) return false;
    await page.touchscreen.tap(place[0] + place[2] / 2, place[1] + place[3] / 2);
    return true;
  };
  const dashed = `${character} dashes`;
  const deadline = Date.now() + 150_000;
  let taps = 0;
  while (!readFileSync(serverLog, "utf8").includes(dashed)) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: shot.replace(/\.png$/, "-stuck.png") });
      await fail(`no "${dashed}" in the server's log after ${taps} taps`);
    }
    // The Play tab holds the action bar; Dash is greyed out of turn (the tap does nothing).
    if (await tap("Play")) await page.waitForTimeout(400);
    if (await tap("Dash")) taps += 1;
    await page.waitForTimeout(800);
  }
  console.log(`phone: played a turn by taps: "${dashed}" (${taps} taps on Dash)`);
  if (display) {
    const heardBy = Date.now() + 60_000;
    let spoken = [];
    while (spoken.length === 0) {
      if (Date.now() > heardBy) await fail("the shared screen read no narration aloud");
      await display.waitForTimeout(1000);
      spoken = await display.evaluate(() => window.emberkeepSpoken ?? []);
    }
    console.log(`display: read aloud ${spoken.length} new narration line(s), first: "${spoken[0]}"`);
    const phoneSpoke = await page.evaluate(() => (window.emberkeepSpoken ?? []).length);
    if (phoneSpoke > 0) await fail(`the phone (voice off by default) read ${phoneSpoke} line(s) aloud`);
  }
} catch (e) {
  await fail(e.message);
}
await browser.close();
