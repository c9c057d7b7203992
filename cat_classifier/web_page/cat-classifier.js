// The static page's model: both ONNX graphs, as one, run by onnxruntime-web in the visitor's browser. Written by
// `cat-classifier export --web` (notebooks/20_web.ipynb); the preprocessing copies `images.load_image` and
// `runtime.chw` (Pillow's bilinear resize included) so that the page gives the answers `predict` gives.
'use strict';
const CONFIG = JSON.parse(document.getElementById('cat-config').textContent);
const $ = id => document.getElementById(id);

// ---- Reading a file as `images.load_image` does: the same checks, the same one-line messages ----
const USE_FORMATS = 'use JPEG, PNG, WebP, GIF, BMP or TIFF';
const HEIF_BRANDS = {heic: 'HEIC', heix: 'HEIC', hevc: 'HEIC', heim: 'HEIC', heis: 'HEIC', mif1: 'HEIF',
                     msf1: 'HEIF', avif: 'AVIF', avis: 'AVIF'};
class InputError extends Error {}

function sizeText(n) {  // `images._size`
  const g = x => String(parseFloat(x.toPrecision(3)));
  return n >= 2 ** 20 ? `${g(n / 2 ** 20)} MB` : n >= 2 ** 10 ? `${g(n / 2 ** 10)} KB` : `${n} bytes`;
}

const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));
const starts = (b, sig, at = 0) => sig.every((v, i) => b[at + i] === v);

function format(b) {
  // The format of the bytes `b` by their signature, or null.
  if (starts(b, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (ascii(b, 0, 4) === 'GIF8') return 'GIF';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'WEBP';
  if (ascii(b, 0, 2) === 'BM') return 'BMP';
  if (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*') return 'TIFF';
  return null;
}

function notAnImage(b) {  // `images._not_an_image`
  const head = b.subarray(0, 2048);
  if (ascii(head, 0, 4) === '%PDF') return `this is a PDF document, not a photo: ${USE_FORMATS}`;
  const brand = HEIF_BRANDS[ascii(head, 8, 4)];
  if (ascii(head, 4, 4) === 'ftyp' && brand)
    return `${brand} format not supported: ${USE_FORMATS} (a phone can share its photos as JPEG)`;
  if (ascii(head, 0, Math.min(512, head.length)).includes('<svg'))
    return `this is an SVG drawing, not a photo: ${USE_FORMATS}`;
  if (!head.includes(0)) {
    try { new TextDecoder('utf-8', {fatal: true}).decode(head, {stream: true}); return `this is a text file, not a photo: ${USE_FORMATS}`; }
    catch (e) { /* not text */ }
  }
  return `format not supported: ${USE_FORMATS}`;
}

function dimensions(b, fmt) {
  // [width, height] from the header of the bytes `b`, before any pixel is decoded (null if not found).
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  try {
    if (fmt === 'PNG') return [v.getUint32(16), v.getUint32(20)];
    if (fmt === 'GIF') return [v.getUint16(6, true), v.getUint16(8, true)];
    if (fmt === 'BMP') return [Math.abs(v.getInt32(18, true)), Math.abs(v.getInt32(22, true))];
    if (fmt === 'WEBP') {
      const kind = ascii(b, 12, 4);
      if (kind === 'VP8X') return [1 + (v.getUint32(24, true) & 0xffffff), 1 + (v.getUint32(27, true) & 0xffffff)];
      if (kind === 'VP8L') { const n = v.getUint32(21, true); return [1 + (n & 0x3fff), 1 + ((n >> 14) & 0x3fff)]; }
      if (kind === 'VP8 ') return [v.getUint16(26, true) & 0x3fff, v.getUint16(28, true) & 0x3fff];
    }
    if (fmt === 'JPEG') {  // the first start-of-frame marker's height and width
      for (let i = 2; i + 9 < b.length;) {
        if (b[i] !== 0xff) { i++; continue; }
        const m = b[i + 1];
        if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return [v.getUint16(i + 7), v.getUint16(i + 5)];
        if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7) || m === 0xff) { i += m === 0xff ? 1 : 2; continue; }
        i += 2 + v.getUint16(i + 2);
      }
    }
  } catch (e) { /* a header too short to hold the size */ }
  return null;
}

function truncated(b, fmt) {
  // Whether the file ends before its image does (JPEG: no end marker after the last scan; PNG: no IEND).
  if (fmt === 'JPEG') {  // entropy-coded data never holds these markers: 0xff is followed by 0 there
    let sos = -1, eoi = -1;
    for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xff) { if (b[i + 1] === 0xda) sos = i; else if (b[i + 1] === 0xd9) eoi = i; }
    return eoi < sos;
  }
  if (fmt === 'PNG') return ascii(b, Math.max(0, b.length - 12), 12).indexOf('IEND') < 0;
  return false;
}

async function decode(file) {
  // The RGBA pixels of `file`, upright, as `images.load_image` reads it; an InputError saying what is wrong.
  if (file.size > CONFIG.max_bytes)
    throw new InputError(`the file is ${sizeText(file.size)}, larger than the ${sizeText(CONFIG.max_bytes)} limit: send a smaller photo`);
  if (file.size === 0) throw new InputError(`the file is empty: choose a photo (${USE_FORMATS})`);
  const b = new Uint8Array(await file.arrayBuffer()), fmt = format(b);
  if (!fmt) throw new InputError(notAnImage(b));
  if (fmt === 'TIFF') throw new InputError('a TIFF image does not open in a web browser: use JPEG, PNG, WebP, GIF or BMP');
  const wh = dimensions(b, fmt);
  if (wh && wh[0] * wh[1] > CONFIG.max_pixels)
    throw new InputError(`the image is ${wh[0]}×${wh[1]} pixels, ${Math.round(wh[0] * wh[1] / 1e6).toLocaleString('en')} ` +
                         `megapixels, more than the ${CONFIG.max_pixels / 1e6} megapixel limit: shrink it and send it again`);
  if (truncated(b, fmt)) throw new InputError('the image is truncated (only part of the file arrived): send the whole file again');
  let bmp;
  // As Pillow: the orientation tag applied, the pixels as stored (no colour profile), alpha not premultiplied.
  try { bmp = await createImageBitmap(new Blob([b]), {imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none'}); }
  catch (e) { throw new InputError('the image is damaged and cannot be read: send another copy'); }
  if (bmp.width * bmp.height > CONFIG.max_pixels) throw new InputError(`the image is ${bmp.width}×${bmp.height} pixels, more than the ${CONFIG.max_pixels / 1e6} megapixel limit: shrink it and send it again`);
  const c = new OffscreenCanvas(bmp.width, bmp.height), g = c.getContext('2d', {willReadFrequently: true});
  g.drawImage(bmp, 0, 0);
  bmp.close();
  const px = g.getImageData(0, 0, c.width, c.height, {colorSpace: 'srgb'});
  onWhite(px.data);
  return px;
}

function onWhite(d) {
  // Lay transparent pixels on white, in place, with the arithmetic of Pillow's `alpha_composite` (`images.to_rgb`).
  for (let i = 0; i < d.length; i += 4) {
    const a = d[i + 3];
    if (a === 255) continue;
    const c1 = Math.floor(a * 255 * 255 * 128 / (a * 255 + 255 * (255 - a))), c2 = 255 * 128 - c1;
    for (let j = 0; j < 3; j++) {
      const t = d[i + j] * c1 + 255 * c2 + (0x80 << 7);
      d[i + j] = (((t >> 8) + t) >> 8) >> 7;
    }
    d[i + 3] = 255;
  }
}

// ---- The view both models are given: `runtime.chw`, i.e. `images.centre_square` then uint8 CHW ----
const PRECISION_BITS = 32 - 8 - 2;  // Pillow's Resample.c, whose fixed-point arithmetic this copies

function coefficients(inSize, outSize) {
  // Pillow's bilinear (triangle filter, widened when shrinking) weights: per output pixel, its first input and weights.
  const scale = inSize / outSize, filterscale = Math.max(scale, 1), support = filterscale;
  const out = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5)), xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    const w = [];
    let ww = 0;
    for (let x = xmin; x < xmax; x++) {
      const t = Math.abs((x - center + 0.5) / filterscale), k = t < 1 ? 1 - t : 0;
      w.push(k); ww += k;
    }
    out.push([xmin, w.map(k => { const n = ww !== 0 ? k / ww : k; return Math.trunc(n < 0 ? -0.5 + n * (1 << PRECISION_BITS) : 0.5 + n * (1 << PRECISION_BITS)); })]);
  }
  return out;
}

const clip8 = s => s >= (1 << PRECISION_BITS) * 256 ? 255 : s <= 0 ? 0 : Math.floor(s / (1 << PRECISION_BITS));

function view(px, size) {
  // The centred square of the RGBA ImageData `px` at `size` px as uint8 CHW, as Pillow's `crop` then `resize(BILINEAR)`.
  const {width: w, height: h, data} = px, s = Math.min(w, h), l = Math.floor((w - s) / 2), t = Math.floor((h - s) / 2);
  const out = new Uint8Array(3 * size * size), plane = size * size;
  if (s === size) {  // Pillow returns a copy when the size already fits
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++)
      out[c * plane + y * size + x] = data[((t + y) * w + l + x) * 4 + c];
    return out;
  }
  // Horizontal pass first, into 8-bit rows (only those the vertical pass reads), then the vertical one: as Pillow.
  const hk = coefficients(s, size), vk = coefficients(s, size), half = 1 << (PRECISION_BITS - 1);
  const y0 = vk[0][0], y1 = vk[size - 1][0] + vk[size - 1][1].length, tmp = new Uint8Array((y1 - y0) * size * 3);
  for (let y = y0; y < y1; y++) for (let xx = 0; xx < size; xx++) {
    const [xmin, k] = hk[xx], row = ((t + y) * w + l + xmin) * 4;
    for (let c = 0; c < 3; c++) {
      let ss = half;
      for (let x = 0; x < k.length; x++) ss += data[row + x * 4 + c] * k[x];
      tmp[((y - y0) * size + xx) * 3 + c] = clip8(ss);
    }
  }
  for (let yy = 0; yy < size; yy++) {
    const [ymin, k] = vk[yy];
    for (let xx = 0; xx < size; xx++) for (let c = 0; c < 3; c++) {
      let ss = half;
      for (let y = 0; y < k.length; y++) ss += tmp[((ymin - y0 + y) * size + xx) * 3 + c] * k[y];
      out[c * plane + yy * size + xx] = clip8(ss);
    }
  }
  return out;
}

// ---- The answer, as `runtime.answer`, and the verdict in a sentence, as `app.verdict` ----
const displayName = label => String(label).replaceAll('_', ' ');
const pct = p => `${Math.round(p * 100)}%`;

function answer(probs, catP) {
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b);
  const top = order.slice(0, CONFIG.k).map(i => [CONFIG.vocab[i], probs[i]]);
  const cat = catP >= CONFIG.cat_threshold;
  return {label: top[0][0], name: displayName(top[0][0]), probability: top[0][1], top, probs: [...probs],
          cat_probability: catP, cat, confident: top[0][1] >= CONFIG.unknown_threshold && cat};
}

function verdict(res) {
  const name = displayName(res.label), p = pct(res.probability);
  if (res.confident) return `This looks like ${'aeiou'.includes(name[0].toLowerCase()) ? 'an' : 'a'} ${name} (${p}).`;
  if (!res.cat) return `This doesn't look like a cat (best guess: ${name}, ${p}).`;
  return `This doesn't look like any of the ${CONFIG.n_classes_words} breeds I know (best guess: ${name}, ${p}).`;
}

// ---- Downloading the files once (with progress), then the session ----
async function download(name, onBytes) {
  // The bytes of the site's file `name` (ungzipped where it was stored gzipped), from the page's cache once it
  // has been downloaded: what makes the page work offline. `onBytes(n)` as they arrive.
  const cache = self.caches && await caches.open(CONFIG.version).catch(() => null);
  let r = cache && await cache.match(name);
  if (!r) {
    r = await fetch(name);
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  }
  const parts = [], reader = r.body.getReader();
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    parts.push(value); onBytes(value.length);
  }
  const blob = new Blob(parts);
  if (cache) await cache.put(name, new Response(blob)).catch(() => {});  // full storage: online only, then
  let b = new Uint8Array(await blob.arrayBuffer());
  // A host that already ungzipped it (Content-Encoding) hands over the plain bytes.
  if (name.endsWith('.gz') && b[0] === 0x1f && b[1] === 0x8b)
    b = new Uint8Array(await new Response(new Blob([b]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  return b;
}

async function loadModels() {
  const total = CONFIG.files.reduce((n, f) => n + f.bytes, 0);
  let got = 0;
  const progress = n => {
    got += n;
    $('cat-progress').value = got / total;
    $('cat-loading-text').textContent = `Downloading the model: ${(got / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB…`;
  };
  const [wasm, model] = await Promise.all(CONFIG.files.map(f => download(f.name, progress)));
  ort.env.wasm.wasmBinary = wasm;
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  ort.env.wasm.numThreads = 1;  // threads need cross-origin isolation, which a static host does not give
  $('cat-loading-text').textContent = 'Starting the model…';
  // One graph holds both models (`web.merge_graphs`): the breed model's weights are stored as differences from the
  // gate's, which they were fine-tuned from.
  const session = await ort.InferenceSession.create(model, {executionProviders: ['wasm'], graphOptimizationLevel: 'all'});
  // The first run prepares the kernels (about a second): done here, not on the visitor's first photo.
  await session.run(feeds(new Uint8Array(3 * CONFIG.size ** 2), new Uint8Array(3 * CONFIG.gate_size ** 2)));
  return session;
}

const feeds = (v, gv) => ({x: new ort.Tensor('uint8', v, [1, 3, CONFIG.size, CONFIG.size]),
                           g: new ort.Tensor('uint8', gv, [1, 3, CONFIG.gate_size, CONFIG.gate_size])});

async function classify(session, file) {
  // The answer for one photo: both models, on the views `predict` gives them, in one run of the graph.
  const px = await decode(file);
  const v = view(px, CONFIG.size), gv = CONFIG.gate_size === CONFIG.size ? v : view(px, CONFIG.gate_size);
  const out = await session.run(feeds(v, gv));
  return answer(Array.from(out.y.data), out.cat.data[0]);
}

// ---- The page ----
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'class') e.className = v; else e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function resultTile(file, res, ms) {
  const thumb = el('img', {class: 'cat-thumb', alt: file.name});
  thumb.src = URL.createObjectURL(file);
  thumb.onload = () => URL.revokeObjectURL(thumb.src);
  const bars = res.top.map(([label, p], i) => el('div', {class: 'cat-bar'}, el('span', {class: 'cat-bar-name'}, displayName(label)),
    el('meter', {class: i === 0 ? (res.confident ? 'cat-best' : 'cat-unsure') : 'cat-other', min: 0, max: 1, value: p}), el('span', {}, pct(p))));
  const tile = el('div', {class: 'cat-result'}, thumb,
                  el('div', {}, el('b', {}, file.name), el('p', {class: 'cat-verdict'}, verdict(res)), ...bars));
  Object.assign(tile.dataset, {probs: JSON.stringify(res.probs), cat: String(res.cat_probability), ms: String(ms)});
  return tile;
}

const errorTile = (file, msg) => el('div', {class: 'cat-error'}, '⚠️ ', el('b', {}, file.name), `: ${msg}`);

async function onFiles(session, files) {
  const input = $('cat-files'), results = $('cat-results');
  input.disabled = true;
  results.replaceChildren();
  try {
    for (const [i, file] of files.entries()) {
      $('cat-status').textContent = `Looking at ${file.name} (${i + 1} of ${files.length})…`;
      const t0 = performance.now();
      try { results.append(resultTile(file, await classify(session, file), performance.now() - t0)); }
      catch (e) {
        results.append(errorTile(file, e instanceof InputError ? e.message : `something went wrong (${e.message || e}): try another photo`));
      }
    }
  } finally { $('cat-status').textContent = ''; input.value = ''; input.disabled = false; }
}

async function main() {
  if ('serviceWorker' in navigator && location.protocol !== 'file:')
    navigator.serviceWorker.register('sw.js').catch(() => {});  // offline use is a bonus: the page works without it
  let session;
  try { session = await loadModels(); }
  catch (e) {
    $('cat-loading-text').textContent = `The model could not be loaded (${e.message || e}): reload the page to try again.`;
    return;
  }
  $('cat-loading').hidden = true;
  const input = $('cat-files'), drop = $('cat-drop');
  input.disabled = false;
  input.addEventListener('change', () => input.files.length && onFiles(session, [...input.files]));
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('cat-over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('cat-over'));
  drop.addEventListener('drop', e => {
    e.preventDefault(); drop.classList.remove('cat-over');
    if (!input.disabled && e.dataTransfer.files.length) onFiles(session, [...e.dataTransfer.files]);
  });
  document.body.dataset.ready = 'true';
  window.catClassifier = {session, classify: f => classify(session, f), decode, view};  // for the tests and benchmarks
}

main();
