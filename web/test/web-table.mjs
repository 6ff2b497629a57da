// Opens a join link in Debian's headless Chromium, waits for the rendered table (the client
// renames the page once it is on screen), saves a screenshot, then plays: presses the Dash key
// until the server's log shows the character dashing — only a player's intent dashes a player
// character (a timed-out turn dodges), so this is the browser playing its turn. Then types a
// free-form action right after clicking the text box and checks the server heard all of it.
//
// node web-table.mjs URL SCREENSHOT.png SERVER_LOG CHARACTER_NAME
import { readFileSync } from "node:fs";
import { checkLoadStages, launch, openTable } from "./chromium.mjs";

const [url, shot, serverLog, character] = process.argv.slice(2);
// A browser as players have it: sound needs a click or a key first.
const browser = await launch(["--autoplay-policy=document-user-activation-required"], {
  ignoreDefaultArgs: ["--autoplay-policy=no-user-gesture-required"],
});
const fail = async (why) => {
  console.error(`web test: ${why}`);
  await browser.close();
  process.exit(1);
};
try {
  const page = await openTable(browser, url);
  const timing = await page.evaluate(() => ({
    table: window.emberkeepTableAt,
    title: document.title,
    wasm: performance.getEntriesByType("resource")
      .filter((r) => r.name.endsWith(".wasm"))
      .map((r) => r.responseEnd)[0],
  }));
  console.log(
    `page load -> wasm fetched: ${(timing.wasm / 1000).toFixed(2)} s; page load -> first table: ${(timing.table / 1000).toFixed(2)} s (${timing.title})`,
  );
  console.log(`loading screen: ${await checkLoadStages(page)}`);
  if (await page.locator("#loading").count()) await fail("the loading screen is still up with the table drawn");
  await page.waitForTimeout(2000);
  await page.screenshot({ path: shot });
  // Play a turn: E is Dash. Out of turn the server refuses it with a reason; keep pressing
  // until the server says the character dashed.
  const dodged = `${character} dashes`;
  const deadline = Date.now() + 120_000;
  // Sound waits for a gesture: before the click the game's audio is suspended, after it runs.
  const audio = () => page.evaluate(() => (window.emberkeepAudio ?? []).map((c) => c.state));
  const before = await audio();
  await page.locator("canvas").click({ position: { x: 640, y: 700 } });
  await page.waitForTimeout(500);
  const after = await audio();
  console.log(`audio contexts before the first click: ${before.join(", ") || "none"}; after: ${after.join(", ") || "none"}`);
  if (after.length === 0 || after.some((s) => s !== "running")) await fail("sound did not start on the first click");
  while (!readFileSync(serverLog, "utf8").includes(dodged)) {
    if (Date.now() > deadline) await fail(`no "${dodged}" in the server's log`);
    // Held like a finger would (a browser frame under software WebGL is slow, and a key
    // pressed and released within one frame is not seen as held).
    await page.keyboard.down("KeyE");
    await page.waitForTimeout(300);
    await page.keyboard.up("KeyE");
    await page.waitForTimeout(300);
  }
  console.log(`played a turn from the browser: "${dodged}"`);
  // Click the free-form box and type at once, as people do: under software WebGL the click
  // and the first letters land in the same frame, and every letter must still reach the box
  // (and none may fire as a game key: E is Dash, T ends the turn). The box only takes text on
  // the character's own turn, so try until the server hears a declaration, then compare it.
  const said = "I kick the door";
  const prefix = `${character}: `;
  const typedBy = Date.now() + 120_000;
  let heard;
  while (!heard) {
    if (Date.now() > typedBy) {
      await page.screenshot({ path: shot.replace(/\.png$/, "-typing.png") });
      await fail(`no "${prefix}…" in the server's log after typing`);
    }
    await page.mouse.click(745, 522);
    await page.keyboard.type(said);
    await page.keyboard.press("Enter");
    await page.waitForTimeout(2000);
    heard = readFileSync(serverLog, "utf8")
      .split("\n")
      .map((line) => line.split(prefix)[1])
      .find((text) => text !== undefined);
  }
  if (heard.trim() !== said) {
    await page.screenshot({ path: shot.replace(/\.png$/, "-typing.png") });
    await fail(`typed "${said}" right after focusing the text box, the server heard "${heard.trim()}"`);
  }
  console.log(`typed right after focusing the text box: the server heard "${prefix}${heard.trim()}"`);
  // Benchmark: WEB_LOADS=N reloads the page N more times and prints the load → table figures.
  const loads = Number(process.env.WEB_LOADS ?? 0);
  if (loads > 0) {
    const times = [];
    for (let i = 0; i < loads; i++) {
      await page.reload();
      await page.waitForFunction(() => window.emberkeepTableAt !== undefined, null, { timeout: 240_000 });
      times.push(await page.evaluate(() => window.emberkeepTableAt));
    }
    times.sort((a, b) => a - b);
    const pick = (q) => times[Math.round((times.length - 1) * q)] / 1000;
    console.log(
      `page load -> first table over ${loads} loads: median ${pick(0.5).toFixed(2)} s, p99 ${pick(0.99).toFixed(2)} s`,
    );
  }
} catch (e) {
  await fail(e.message);
}
await browser.close();
