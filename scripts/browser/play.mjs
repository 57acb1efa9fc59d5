// Plays a pertitle package (the directory `pertitle package` or `optimize --package` wrote)
// to its end in headless Chromium, with hls.js (master.m3u8) and with dash.js
// (manifest.mpd), once per rung with adaptation off and the rung pinned. Prints one JSON
// object; exits 1 when a check fails, 2 on a usage or setup error.
//
//   node scripts/browser/play.mjs PACKAGE_DIR [--rate R] [--timeout-ms MS] [--chromium PATH]
//
// Checks, per player: it parses as many levels (variants, representations) as the package
// has rungs, with the rungs' sizes; every pinned playback fires `ended` with currentTime
// within 0.1 s of the duration the package declares, having decoded every frame; no error from the player, the video
// element, the page or the runner; and the server saw every segment of the pinned rung
// fetched, and no media segment of another rung.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const here = path.dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  console.error(`play.mjs: ${msg}`);
  console.error("usage: node play.mjs PACKAGE_DIR [--rate R] [--timeout-ms MS] [--chromium PATH]");
  process.exit(2);
}

const args = process.argv.slice(2);
let pkgDir = null;
let rate = 4;
let timeoutMs = 30000;
let chromium = process.env.CHROMIUM || "/usr/bin/chromium";
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--rate") rate = Number(args[++i]);
  else if (a === "--timeout-ms") timeoutMs = Number(args[++i]);
  else if (a === "--chromium") chromium = args[++i];
  else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else if (pkgDir === null) pkgDir = path.resolve(a);
  else usage("one package directory");
}
if (!pkgDir) usage("no package directory");
if (!(rate > 0) || !(timeoutMs > 0)) usage("--rate and --timeout-ms must be positive");

let pkg;
try {
  pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
} catch (e) {
  usage(`${pkgDir}/package.json: ${e.message}`);
}
const rungs = pkg.renditions;
const duration = pkg.segment_durations_s.reduce((a, b) => a + b, 0);
const segments = pkg.segment_durations_s.length;

// --- the server: the page and the players' scripts, and the package ---------------------
const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".m3u8": "application/vnd.apple.mpegurl",
  ".mpd": "application/dash+xml",
  ".mp4": "video/mp4",
  ".m4s": "video/iso.segment",
  ".map": "application/json",
};
const roots = {
  "/lib/": path.join(here, "node_modules"),
  "/pkg/": pkgDir,
};
let requests = []; // package paths fetched since the last reset
const notFound = []; // every path the server had no file for
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  let file = null;
  let rel = null;
  if (url.pathname === "/" || url.pathname === "/player.html") {
    file = path.join(here, "player.html");
  } else {
    for (const [prefix, root] of Object.entries(roots)) {
      if (url.pathname.startsWith(prefix)) {
        rel = decodeURIComponent(url.pathname.slice(prefix.length));
        const candidate = path.resolve(root, rel);
        if (candidate.startsWith(root + path.sep)) file = candidate;
        if (prefix === "/pkg/") requests.push(rel);
      }
    }
  }
  if (url.pathname === "/favicon.ico") {
    res.writeHead(204);
    res.end();
    return;
  }
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    notFound.push(url.pathname);
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
    return;
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, {
    "Content-Type": MIME[path.extname(file)] || "application/octet-stream",
    "Content-Length": body.length,
    "Cache-Control": "no-store",
  });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// --- the browser --------------------------------------------------------------------------
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: [
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
  ],
});
const page = await browser.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("console", (m) => {
  if (m.type() === "error") pageErrors.push(`console: ${m.text()}`);
});
await page.goto(`${origin}/player.html`, { waitUntil: "load" });

// The rungs as each player orders its levels, lowest first: hls.js by height, then by
// AVERAGE-BANDWIDTH (a shot rung's peak may fall below a lower rung's); dash.js by bandwidth.
const hlsOrder = [...rungs].sort(
  (a, b) => a.height - b.height || a.hls_average_bandwidth - b.hls_average_bandwidth,
);
const dashOrder = [...rungs].sort((a, b) => a.dash_bandwidth - b.dash_bandwidth);

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}

function fetched(rung) {
  const mine = requests.filter((r) => r.startsWith(`${rung}/`) && r.endsWith(".m4s"));
  const others = requests.filter((r) => !r.startsWith(`${rung}/`) && r.endsWith(".m4s"));
  return { mine: [...new Set(mine)].length, others: [...new Set(others)].sort() };
}

async function run(player, order, play) {
  const runs = [];
  for (let i = 0; i < order.length; i++) {
    const rung = order[i];
    requests = [];
    const errorsBefore = pageErrors.length;
    const missingBefore = notFound.length;
    const t0 = Date.now();
    const r = await play(i, rung);
    const seen = fetched(rung.name);
    const entry = {
      rung: rung.name,
      level: i,
      ended: r.ended,
      current_time: r.currentTime,
      duration: r.duration,
      decoded_frames: r.decodedFrames,
      dropped_frames: r.droppedFrames,
      segments_fetched: seen.mine,
      other_rungs_segments: seen.others,
      levels_played: r.levelsPlayed,
      sizes: r.sizes,
      errors: [...(r.errors || []), 
        ...pageErrors.slice(errorsBefore).map((m) => ({ source: "page", message: m })),
        ...notFound.slice(missingBefore).map((m) => ({ source: "server", message: `404 ${m}` })),
      ],
      wall_ms: Date.now() - t0,
    };
    const where = `${player} ${rung.name}`;
    check((r.levels || []).length === rungs.length, `${where}: ${(r.levels || []).length} levels parsed, package has ${rungs.length} rungs`);
    (r.levels || []).forEach((l, k) => {
      const want = order[k];
      if (want) check(l.width === want.width && l.height === want.height, `${where}: level ${k} is ${l.width}x${l.height}, rung ${want.name} is ${want.width}x${want.height}`);
    });
    if (i === 0) entry.levels = r.levels;
    check(r.ended === true, `${where}: no 'ended' event`);
    check(typeof r.currentTime === "number" && Math.abs(r.currentTime - duration) <= 0.1, `${where}: ended at ${r.currentTime} s of ${duration} s`);
    check(entry.errors.length === 0, `${where}: ${entry.errors.length} errors: ${JSON.stringify(entry.errors)}`);
    check(r.decodedFrames === rung.frames, `${where}: ${r.decodedFrames} of ${rung.frames} frames decoded`);
    check(seen.mine === segments, `${where}: ${seen.mine} of ${segments} segments fetched`);
    check(seen.others.length === 0, `${where}: fetched other rungs' segments ${seen.others.join(" ")}`);
    runs.push(entry);
  }
  return runs;
}

const result = { package: pkgDir, rungs: rungs.length, segments, duration_s: duration, rate, players: {} };
try {
  result.players.hls = await run("hls.js", hlsOrder, (i) =>
    page.evaluate((u, l, r, t) => window.playHls(u, l, r, t), `${origin}/pkg/${pkg.hls_master}`, i, rate, timeoutMs),
  );
  result.players.dash = await run("dash.js", dashOrder, (i, rung) =>
    page.evaluate(
      (u, l, k, r, t) => window.playDash(u, l, k, r, t),
      `${origin}/pkg/${pkg.dash_mpd}`,
      i,
      rung.dash_bandwidth / 1000,
      rate,
      timeoutMs,
    ),
  );
} catch (e) {
  failures.push(`runner: ${e.stack || e}`);
}
result.versions = {
  chromium: await browser.version(),
  "hls.js": JSON.parse(fs.readFileSync(path.join(here, "node_modules/hls.js/package.json"))).version,
  dashjs: JSON.parse(fs.readFileSync(path.join(here, "node_modules/dashjs/package.json"))).version,
};
await browser.close();
server.close();
result.ok = failures.length === 0;
result.failures = failures;
console.log(JSON.stringify(result, null, 2));
process.exit(result.ok ? 0 : 1);
