// Drives a session through the gateway's relay with puppeteer-core, the way a customer would.
// Usage: node puppeteer-connect.mjs <puppeteer-core|puppeteer-core-24> <browserURL|browserWSEndpoint> <url> <connect token> <page>
// Prints one JSON line: what the page showed, the browser's version, the open pages.
const [module, mode, url, token, page] = process.argv.slice(2);
const puppeteer = (await import(module)).default;

const headers = { Authorization: `Bearer ${token}` };
const options = mode === 'browserURL' ? { browserURL: url, headers } : { browserWSEndpoint: url, headers };
try {
  const browser = await puppeteer.connect(options);
  const tab = await browser.newPage();
  await tab.goto(page, { timeout: 20000 });
  const text = (await tab.evaluate(() => document.body.innerText)).trim();
  const version = await browser.version();
  const pages = (await browser.pages()).length;
  await tab.close();
  await browser.disconnect();
  console.log(JSON.stringify({ ok: true, text, version, pages }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message || e) }));
  process.exitCode = 2;
}
