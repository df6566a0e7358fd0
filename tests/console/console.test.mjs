// Browser test of Lamina's web console in headless Chromium (Debian's package, driven by
// playwright-core). Run by tests/e2e/test_console.py against a real `lamina server`:
//
//   node tests/console/console.test.mjs <server url> <artifacts dir> <phase> <function>
//
// phase `main`: save a test event from the S3 put template (renamed, key edited), find it
//   after a reload, run it and check the result panel, run a failing event and check the
//   error panel, set memory through the configuration form (an invalid value first, whose
//   error must show inline), and screenshot every page at 1280 and 390 px.
// phase `restarted`: after the server restarted, the saved events are still there and run.
// phase `plans`: a migration plan's timeline, the function's image now, and the delay flag
//   button (the server has a second image and a plan).
// phase `logs`: the Logs tab's recent events, the filter box (FilterLogEvents patterns: a
//   term with an exclusion, a refused pattern), and follow mode: the script prints
//   `FOLLOWING`, the Python side then invokes the function, and the new matching line must
//   appear without a reload while a non-matching one stays out.
//
// Any browser console error, page error or failed asset load fails the run. Prints one
// line per check and `N passed, 0 failed` at the end; exits non-zero on the first failure.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, artifacts, phase, fn] = process.argv.slice(2);
if (!url || !artifacts || !phase || !fn) {
  console.error("usage: console.test.mjs <url> <artifacts dir> <main|restarted|plans> <function>");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const EVENT = "photo-upload";
const KEY = "photos/cat on the mat.jpg";
const FAILING = "always-fails";
const WIDTHS = [1280, 390];

let passed = 0;
function check(cond, what, detail) {
  if (!cond) {
    throw new Error("FAILED: " + what + (detail !== undefined ? " — got: " + JSON.stringify(detail) : ""));
  }
  passed += 1;
  console.log("ok " + passed + " - " + what);
}

const profile = mkdtempSync(join(tmpdir(), "lamina-console-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  viewport: { width: 1280, height: 900 },
});

const problems = [];
const page = context.pages()[0] || (await context.newPage());
page.on("console", (msg) => {
  if (msg.type() !== "error") return;
  // A refused form (the invalid memory size below) is an API answer of 4xx that the page
  // shows inline; Chromium also logs such a fetch. Pages and assets get no such allowance.
  const source = (msg.location() || {}).url || "";
  const apiAnswer = /\/console\/api\/|\/lamina\/functions\//.test(source) || source === url + "/";
  if (apiAnswer && msg.text().startsWith("Failed to load resource: the server responded with a status of 4")) return;
  problems.push("console error: " + msg.text() + " (" + source + ") on " + page.url());
});
page.on("pageerror", (err) => problems.push("page error: " + err.message + " at " + page.url()));
page.on("requestfailed", (req) => problems.push("request failed: " + req.url() + " " + (req.failure() || {}).errorText));
page.on("response", (resp) => {
  // The console's own pages and assets must load; API calls may answer errors on purpose.
  const u = resp.url();
  const logsApi = resp.request().headers()["x-amz-target"] !== undefined;
  if (resp.status() >= 400 && !u.includes("/console/api/") && !u.includes("/lamina/functions/") && !logsApi) {
    problems.push("HTTP " + resp.status() + " for " + u);
  }
});

const fnPage = url + "/console/functions/" + encodeURIComponent(fn);

async function open(target) {
  const resp = await page.goto(target, { waitUntil: "load" });
  check(resp && resp.status() === 200, "GET " + target.replace(url, "") + " answers 200", resp && resp.status());
}

async function noProblems(where) {
  check(problems.length === 0, "no browser console errors " + where, problems);
}

// Screenshots at both widths, and no sideways scrolling at either.
async function shoot(name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(50);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, name + " fits a " + width + " px window (no sideways scroll)", overflow);
    await page.screenshot({ path: join(artifacts, `${phase}-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function selectedEventNames() {
  return page.$$eval("#test-event-select option", (os) => os.map((o) => o.value).filter(Boolean));
}

async function runTest(name) {
  await page.selectOption("#test-event-select", name);
  await page.click("#test-run");
  await page.waitForSelector("#test-result:not([hidden]) #result-status", { timeout: 60000 });
  // Wait for this run's panel (a previous one may still be shown).
  await page.waitForFunction(() => !document.querySelector("#test-run").disabled, null, { timeout: 60000 });
  return page.$eval("#test-result", (r) => ({
    status: r.querySelector("#result-status")?.textContent,
    cls: r.className,
    response: r.querySelector("#result-response")?.textContent,
    requestId: r.querySelector("#result-request-id")?.textContent,
    duration: r.querySelector("#result-duration")?.textContent,
    billed: r.querySelector("#result-billed")?.textContent,
    memory: r.querySelector("#result-memory")?.textContent,
    maxMemory: r.querySelector("#result-max-memory")?.textContent,
    init: r.querySelector("#result-init")?.textContent ?? null,
    logs: r.querySelector("#result-logs")?.textContent,
    errorType: r.querySelector("#result-error-type")?.textContent ?? null,
    errorMessage: r.querySelector("#result-error-message")?.textContent ?? null,
    stack: r.querySelector("#result-stack")?.textContent ?? null,
  }));
}

function checkReport(r, what) {
  check(/^[0-9a-f-]{36}$/.test(r.requestId || ""), what + ": request id shown", r.requestId);
  check(/^\d+\.\d\d ms$/.test(r.duration || ""), what + ": Duration shown", r.duration);
  check(/^\d+ ms$/.test(r.billed || ""), what + ": Billed Duration shown", r.billed);
  check(/^\d+ MB$/.test(r.maxMemory || ""), what + ": Max Memory Used shown", r.maxMemory);
  check((r.logs || "").includes("START RequestId: " + r.requestId), what + ": log output has START", r.logs);
  check((r.logs || "").includes("REPORT RequestId: " + r.requestId), what + ": log output has REPORT", r.logs);
}

try {
  if (phase === "main") {
    // The functions list shows the function, with its facts.
    await open(url + "/console");
    check(page.url().endsWith("/console/functions"), "/console leads to the functions list", page.url());
    const row = await page.textContent("table.functions tbody");
    check(row.includes(fn) && row.includes("python3.11") && row.includes("128 MB"), "functions list shows name, runtime and memory", row);
    await page.fill("#function-search", "no-such-function-xyz");
    await Promise.all([page.waitForNavigation(), page.click(".search button")]);
    check((await page.textContent("main")).includes("No function matches"), "search with no match says so");
    await open(url + "/console/functions?q=" + encodeURIComponent(fn.slice(0, 6)));
    check((await page.textContent("main")).includes(fn), "search finds the function by a prefix");
    await shoot("functions");

    // Configure a test event from the S3 put template (New opens a blank editor).
    await open(fnPage);
    await page.click("#test-new");
    await page.waitForSelector("#event-editor:not([hidden])");
    await page.selectOption("#template-select", "s3/put");
    await page.waitForFunction(() => document.querySelector("#event-json").value.includes("ObjectCreated:Put"));
    check((await page.inputValue("#event-name")) === "s3-put", "template fills the event name", await page.inputValue("#event-name"));
    const template = JSON.parse(await page.inputValue("#event-json"));
    check(template.Records[0].s3.object.key === "test/key", "S3 put template has SAM's default key", template.Records[0].s3.object.key);

    // The editor flags invalid JSON before saving.
    await page.fill("#event-json", '{"Records": [');
    check((await page.textContent("#json-status")).startsWith("Invalid JSON"), "invalid JSON is flagged", await page.textContent("#json-status"));
    check(await page.isDisabled("#event-save"), "Save is disabled while the JSON is invalid");

    // Rename it, edit the key, save.
    template.Records[0].s3.object.key = KEY;
    await page.fill("#event-json", JSON.stringify(template, null, 2));
    check((await page.textContent("#json-status")) === "Valid JSON.", "valid JSON is accepted");
    await page.fill("#event-name", EVENT);
    await page.click("#event-save");
    await page.waitForFunction((n) => document.querySelector("#event-message").textContent.includes("Saved test event " + n), EVENT);
    check((await page.inputValue("#test-event-select")) === EVENT, "the saved event is selected");

    // After a reload it is still there, with the edited key.
    await page.reload({ waitUntil: "load" });
    check((await selectedEventNames()).includes(EVENT), "the saved event is listed after a reload", await selectedEventNames());
    await page.selectOption("#test-event-select", EVENT);
    await page.click("#test-configure");
    await page.waitForFunction(() => document.querySelector("#event-json").value.includes("Records"));
    const saved = JSON.parse(await page.inputValue("#event-json"));
    check(saved.Records[0].s3.object.key === KEY, "the saved event keeps the edited key", saved.Records[0].s3.object.key);
    await page.click("#event-cancel");

    // Run it: success panel.
    const ok = await runTest(EVENT);
    check(ok.status === "Execution result: succeeded" && ok.cls.includes("succeeded"), "Test shows success", ok.status);
    const response = JSON.parse(ok.response);
    check(response.key === KEY && response.bucket === "example-bucket", "response JSON is the function's answer", response);
    check(ok.response.includes("\n  "), "response JSON is pretty-printed", ok.response);
    checkReport(ok, "success");
    check(ok.memory === "128 MB", "success: Memory Size is the configured 128 MB", ok.memory);
    check(/^\d+\.\d\d ms$/.test(ok.init || ""), "success: Init Duration shown on a cold start", ok.init);
    check(ok.logs.includes("console-test saw key " + KEY), "log output has the function's own line", ok.logs);
    await shoot("function-test-success");

    // A failing event: error panel.
    // Configure opens the selected event for editing; saving under a new name adds one.
    await page.click("#test-configure");
    await page.waitForFunction((n) => document.querySelector("#event-name").value === n, EVENT);
    await page.fill("#event-name", FAILING);
    await page.fill("#event-json", '{\n  "fail": "on purpose"\n}');
    await page.click("#event-save");
    await page.waitForFunction((n) => document.querySelector("#event-message").textContent.includes("Saved test event " + n), FAILING);
    await page.click("#event-cancel");
    const bad = await runTest(FAILING);
    check(bad.status === "Execution result: failed" && bad.cls.includes("failed"), "Test shows failure", bad.status);
    check(bad.errorType === "ValueError", "error panel shows errorType", bad.errorType);
    check(bad.errorMessage === "asked to fail: on purpose", "error panel shows errorMessage", bad.errorMessage);
    check((bad.stack || "").includes("raise ValueError"), "error panel shows the stack trace", bad.stack);
    checkReport(bad, "failure");
    check(bad.init === null, "failure on a warm environment shows no Init Duration", bad.init);
    await shoot("function-test-failure");

    // Configuration: an invalid memory size is refused inline with the API's message; a
    // valid one is saved.
    await open(fnPage + "?tab=configuration");
    await page.fill("#cfg-memory", "100");
    await page.click("#cfg-save");
    await page.waitForFunction(() => document.querySelector("#cfg-message").textContent.startsWith("Not saved"));
    const inline = await page.textContent('.field-error[data-member="memorySize"]');
    check(inline.includes("memorySize") && inline.includes("128"), "invalid memory shows the API's error beside the field", inline);
    await shoot("function-configuration-error");
    await page.fill("#cfg-memory", "512");
    await page.click("#cfg-save");
    await page.waitForFunction(() => document.querySelector("#cfg-message").textContent.startsWith("Saved"));
    check((await page.textContent("#function-memory")) === "512 MB", "header shows the new memory");
    check((await page.textContent('.field-error[data-member="memorySize"]')) === "", "the inline error is cleared after a good save");
    await page.reload({ waitUntil: "load" });
    check((await page.inputValue("#cfg-memory")) === "512", "memory 512 is stored");
    await shoot("function-configuration");

    // The other tabs render what they should.
    await open(fnPage + "?tab=code");
    check((await page.textContent("#code-files")).includes("app.py"), "code tab lists the zip's files");
    check((await page.textContent("#code-sha256")).length === 44, "code tab shows CodeSha256");
    await shoot("function-code");
    await open(fnPage + "?tab=versions");
    check((await page.textContent("#versions")).includes("1"), "versions tab lists the published version");
    check((await page.textContent("#aliases")).includes("live"), "versions tab lists the alias");
    await shoot("function-versions");
    await open(fnPage + "?tab=invocations");
    const invocations = await page.$$eval("#invocations tbody tr", (rows) => rows.map((r) => r.textContent));
    check(invocations.length >= 2 && invocations.some((r) => r.includes("error")) && invocations.some((r) => r.includes("succeeded")), "invocations tab lists the failed and the successful run", invocations);
    await shoot("function-invocations");
    await open(fnPage + "?tab=logs");
    check((await page.textContent(".stream pre")).includes("REPORT RequestId"), "logs tab shows a stream's events");
    await shoot("function-logs");
    await open(url + "/console/environments");
    check((await page.textContent("#images")).includes("host"), "environments page lists the host image");
    const plansText = await page.textContent("main");
    check(plansText.includes("No migration plans yet") || (await page.$("svg.timeline")) !== null, "environments page shows plans or says there are none");
    check((await page.textContent("#function-environments")).includes(fn), "environments page lists the function's image");
    await shoot("environments");
    const missing = await page.goto(url + "/console/functions/does-not-exist", { waitUntil: "load" });
    check(missing.status() === 404, "a missing function's page answers 404", missing.status());
    check((await page.textContent(".alert.error")).includes("Function not found"), "and says the function was not found");
  } else if (phase === "restarted") {
    await open(fnPage);
    const names = await selectedEventNames();
    check(names.includes(EVENT) && names.includes(FAILING), "saved events survive a server restart", names);
    const ok = await runTest(EVENT);
    check(ok.status === "Execution result: succeeded", "the saved event runs after the restart", ok.status);
    check(JSON.parse(ok.response).key === KEY, "and still carries the edited key", ok.response);
    check(ok.memory === "512 MB", "the run uses the memory set in the form", ok.memory);
    await shoot("function-after-restart");
  } else if (phase === "plans") {
    // A server with a second image and a plan moving every runtime to it (T1 passed, T2
    // to come): the timeline is drawn, the function has moved (rule 6: changed after T1),
    // and the delay flag button keeps it on host.
    await open(url + "/console/environments");
    check((await page.textContent("#images")).includes("next-os"), "images list the registered next-os image");
    check((await page.$$("svg.timeline circle")).length === 5, "the plan's timeline draws five instants");
    const svgText = await page.textContent("svg.timeline");
    check(svgText.includes("now ·") && svgText.includes("T4 · completion"), "the timeline marks now and names the phases", svgText);
    check((await page.$$("svg.timeline g.phase.passed")).length === 2, "T0 and T1 are drawn as passed", (await page.$$("svg.timeline g.phase.passed")).length);
    const rowOf = () => page.$eval("#function-environments tbody tr", (r) => r.textContent);
    let row = await rowOf();
    check(row.includes(fn) && row.includes("next-os") && row.includes("none"), "the function runs on next-os now, with no flags", row);
    await shoot("environments-plan");
    await Promise.all([
      page.waitForNavigation(),
      page.click(`.flag-button[data-function="${fn}"][data-kind="delay"][data-action="add"]`),
    ]);
    row = await rowOf();
    check(row.includes("Delay") && /Image now\s*host|host/.test(row), "after Add delay flag the function carries it", row);
    const imageNow = await page.$eval("#function-environments tbody tr td[data-label='Image now']", (td) => td.textContent);
    check(imageNow === "host", "the delay flag keeps it on host", imageNow);
    check(await page.$(`.flag-button[data-function="${fn}"][data-kind="delay"][data-action="remove"]`) !== null, "the button now offers to remove the flag");
    await shoot("environments-flagged");
    await open(url + "/console/functions");
    check((await page.textContent("table.functions tbody")).includes("host"), "the functions list shows the resolved image");
    await open(fnPage + "?tab=configuration");
    check((await page.inputValue("#cfg-layers")).includes("NextOsDelay"), "the configuration form lists the flag layer");
    check((await page.textContent("#config-form")).includes("opt in early with"), "the form names the plan's flag layers");
  } else if (phase === "logs") {
    const status = () => page.textContent("#log-status");
    const shown = () => page.textContent("#log-events");
    const filterBy = async (pattern, expect) => {
      await page.fill("#log-pattern", pattern);
      await page.click("#log-filter button[type=submit]");
      await page.waitForFunction((e) => document.querySelector("#log-status").textContent.includes(e), expect, { timeout: 15000 });
    };
    await open(fnPage + "?tab=logs");
    await page.waitForFunction(() => /matching events/.test(document.querySelector("#log-status").textContent), null, { timeout: 15000 });
    let text = await shown();
    check(text.includes("alpha one") && text.includes("beta one") && text.includes("REPORT RequestId"), "the Logs tab lists the group's recent events", text);
    await filterBy("alpha -ERROR", "matching events");
    text = await shown();
    check(text.includes("alpha one") && !text.includes("beta one") && !text.includes("alpha ERROR two"), "the filter box applies a term with an exclusion", text);
    check((await status()).startsWith("1 matching"), "and counts what matched", await status());
    await filterBy("{ $.level = ", "InvalidParameterException");
    check(true, "a malformed pattern is refused with the Logs API's error");
    await filterBy("alpha", "matching events");
    await page.check("#log-follow");
    console.log("FOLLOWING");
    await page.waitForFunction(() => document.querySelector("#log-events").textContent.includes("alpha live three"), null, { timeout: 30000 });
    text = await shown();
    check(!text.includes("beta live three"), "follow mode shows a new matching line without a reload, and only matching ones", text);
    check(text.split("alpha live three").length === 2, "and shows it once", text);
    await shoot("function-logs-filter");
  } else {
    throw new Error("unknown phase " + phase);
  }
  // The deliberate 404 above is the only non-200 page: drop it before judging.
  const unexpected = problems.filter((p) => !p.includes("/console/functions/does-not-exist"));
  problems.length = 0;
  problems.push(...unexpected);
  await noProblems("on any page");
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  console.log(e.message);
  if (problems.length) console.log("browser problems: " + JSON.stringify(problems, null, 1));
  try {
    await page.screenshot({ path: join(artifacts, `${phase}-FAILURE.png`), fullPage: true });
  } catch (_) {}
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
