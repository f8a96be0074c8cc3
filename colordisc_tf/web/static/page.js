// colordisc serve's page: every request goes to the server that sent it (same origin).
"use strict";

const state = { info: null, photos: [], timer: null };
const $ = (id) => document.getElementById(id);
const VIDEO = /\.(mp4|m4v|mov|mkv|webm|avi|mpg|mpeg|ts|wmv|flv|ogv|3gp)$/i;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

function showError(sentence) {
  $("errors").append(el("p", { className: "error", textContent: sentence }));
}

async function call(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (e) {
    throw new Error("The server does not answer; is `colordisc serve` still running?");
  }
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON: said below */ }
  if (!response.ok || body === null) {
    throw new Error(body && body.error ? body.error : `The server answered ${response.status}.`);
  }
  return body;
}

function figure(caption, src, cls) {
  return el("figure", {}, el("img", { src, className: cls, alt: caption }), el("figcaption", { textContent: caption }));
}

function stem(name) { return name.replace(/\.[^.]*$/, ""); }

function download(label, href, filename) {
  return el("a", { href, download: filename, textContent: label });
}

function scoreBlock(realness) {
  if (realness === null) return el("div", { className: "score", textContent: "—" },
    el("small", { textContent: "no discriminator (--discriminator)" }));
  return el("div", { className: "score", textContent: realness.toFixed(3) },
    el("small", { textContent: "realness (0: surely generated, 1: looks real)" }));
}

function renderPhoto(item) {
  const r = item.result;
  const card = item.card;
  card.replaceChildren();
  card.append(el("h2", { textContent: `${r.name} (${r.width} x ${r.height}) at T = ${r.temperature.toFixed(2)}` }));
  const row = el("div", { className: "row" },
    figure("grey input", r.grey, "grey"),
    figure("colorization", r.colorized, "colorized"));
  if (r.overlay) row.append(figure("realness map (red: probably wrong)", r.overlay, "overlay"));
  row.append(el("div", {}, scoreBlock(r.realness)));
  card.append(row);
  const links = el("div", { className: "downloads" },
    download("Download the colorization", r.colorized, `${stem(r.name)}.colorized.png`));
  if (r.overlay) links.append(download("Download the realness map", r.overlay, `${stem(r.name)}.realness.png`));
  card.append(links);
  if (item.compare) {
    const pair = el("div", { className: "row compare" });
    for (const [role, c] of Object.entries(item.compare)) {
      pair.append(el("div", {}, figure(`${role}` + (c.realness === null ? "" : `: realness ${c.realness.toFixed(3)}`),
        c.colorized, `compare-${role}`), download(`Download ${role}`, c.colorized, `${stem(r.name)}.${role}.png`)));
    }
    card.append(el("h2", { textContent: "base vs fine-tuned" }), pair);
  }
}

async function refreshCompare(item) {
  if (!$("compare").checked || !state.info.compare.length) { item.compare = null; return; }
  item.compare = await call("/api/compare", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ id: item.result.id, temperature: temperature() }) });
}

function temperature() { return parseFloat($("temperature").value); }

async function sendPhoto(file) {
  const card = el("section", { className: "card", textContent: `Colorizing ${file.name}…` });
  $("results").prepend(card);
  try {
    const result = await call(`/api/photo?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
    const item = { card, result, compare: null };
    if (Math.abs(temperature() - result.temperature) > 1e-9) {
      Object.assign(item.result, await decodeAgain(item));
    }
    await refreshCompare(item);
    state.photos.push(item);
    renderPhoto(item);
  } catch (e) {
    card.remove();
    showError(e.message);
  }
}

async function decodeAgain(item) {
  return call("/api/decode", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ id: item.result.id, temperature: temperature() }) });
}

async function sendVideo(file) {
  const bar = el("progress", { max: 1, value: 0 });
  const status = el("p", { textContent: `Uploading ${file.name}…` });
  const card = el("section", { className: "card video" }, el("h2", { textContent: file.name }), status, bar);
  $("results").prepend(card);
  try {
    const { job } = await call(`/api/video?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
    let s;
    for (;;) {
      s = await call(`/api/video/${job}`);
      if (s.frames_total) { bar.max = s.frames_total; bar.value = s.frames_done; }
      status.textContent = s.state === "queued" ? "Waiting for the models…"
        : `Colorizing: ${s.frames_done} of ${s.frames_total || "?"} frames`;
      if (s.state === "done" || s.state === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    if (s.state === "failed") throw new Error(s.error);
    const mp4 = URL.createObjectURL(await (await fetch(`/api/video/${job}/colorized.mp4`)).blob());
    const plot = `/api/video/${job}/plot.png`;
    const m = s.summary;
    const fmt = (v, d) => (v === null || v === undefined ? "n/a" : v.toFixed(d));
    card.replaceChildren(el("h2", { textContent: `${file.name}: ${m.frames} frames` }),
      el("div", { className: "row" }, el("video", { src: mp4, controls: true, loop: true, className: "colorized-video" }),
        figure(`flicker: CDC ${fmt(m.cdc, 4)}, warp error ${fmt(m.warp_error, 5)}`
          + (m.realness_mean === null || m.realness_mean === undefined ? "" : `, realness ${fmt(m.realness_mean, 3)}`),
          plot, "plot")),
      el("div", { className: "downloads" }, download("Download the MP4", mp4, `${stem(file.name)}.colorized.mp4`),
        download("Download the flicker plot", plot, `${stem(file.name)}.flicker.png`)));
    for (const w of m.warnings || []) card.append(el("p", { className: "note", textContent: w }));
  } catch (e) {
    card.remove();
    showError(e.message);
  }
}

async function sendFiles(files) {
  $("errors").replaceChildren();
  for (const file of files) {  // one after another: the server runs one at a time anyway
    await (VIDEO.test(file.name) || file.type.startsWith("video/") ? sendVideo(file) : sendPhoto(file));
  }
}

function onTemperature() {
  $("temperature-value").textContent = temperature().toFixed(2);
  clearTimeout(state.timer);
  state.timer = setTimeout(async () => {
    $("errors").replaceChildren();
    for (const item of state.photos) {
      try {
        Object.assign(item.result, await decodeAgain(item));
        await refreshCompare(item);
        renderPhoto(item);
      } catch (e) { showError(e.message); }
    }
  }, 200);
}

async function start() {
  try {
    state.info = await call("/api/info");
  } catch (e) { showError(e.message); return; }
  const info = state.info;
  $("model").textContent = `colorizer: ${info.model}` + (info.discriminator ? `; realness: ${info.discriminator}` : "; no realness (no discriminator)");
  $("bounds").textContent = `photos up to ${+(info.max_bytes / 1e6).toPrecision(3)} MB and ${info.max_pixels.toLocaleString("en")} pixels; clips: the first ${info.max_frames} frames`;
  const slider = $("temperature");
  slider.value = info.temperature;
  slider.disabled = !info.anneals;
  const lo = parseFloat(slider.min), hi = parseFloat(slider.max);
  $("paper-mark").style.left = `${((info.paper_temperature - lo) / (hi - lo)) * 100}%`;
  $("temperature-value").textContent = info.temperature.toFixed(2);
  slider.addEventListener("input", onTemperature);
  $("reset").addEventListener("click", () => { slider.value = info.temperature; onTemperature(); });
  const compare = $("compare");
  compare.disabled = !info.compare.length;
  if (compare.disabled) { $("compare-label").classList.add("off"); $("compare-label").title = "needs both pushed: saved_models/colordisc_generator and colordisc_generator_finetuned (or --base and --finetuned)"; }
  compare.addEventListener("change", async () => {
    for (const item of state.photos) {
      try { await refreshCompare(item); renderPhoto(item); } catch (e) { showError(e.message); }
    }
  });
  $("files").addEventListener("change", (e) => { sendFiles([...e.target.files]); e.target.value = ""; });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); sendFiles([...e.dataTransfer.files]); });
  document.body.dataset.ready = "1";
}

start();
