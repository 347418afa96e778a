// The page of `lazyattn serve`: no framework, no build step. Everything comes from /api/info and /api/analyze.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const MAX_BITS = 14;          // surprisal at which the colour is fully red
const MAP_PIXELS = 520;       // side of the big attention map
const THUMB_PIXELS = 110;     // side of each small multiple

const state = { info: null, result: null, head: 0, layer: 0, sent: 0 };
const $ = (id) => document.getElementById(id);

/** Colour of a surprisal in bits: green (expected) to red (surprising). */
function surprisalColour(bits) {
  const t = Math.max(0, Math.min(1, bits / MAX_BITS));
  const hue = 120 * (1 - t);
  const light = 86 - 24 * t;
  return `hsl(${hue.toFixed(1)}, ${(60 + 25 * t).toFixed(0)}%, ${light.toFixed(1)}%)`;
}

/** Colour of a non-zero weight: faint blue for small, dark blue for 1 (weight^0.4, as the experiment report). */
function weightColour(w) {
  const t = Math.pow(Math.max(0, Math.min(1, w)), 0.4);
  const from = [238, 244, 251];
  const mid = [107, 174, 214];
  const to = [8, 48, 107];
  const [a, b, u] = t < 0.5 ? [from, mid, t * 2] : [mid, to, (t - 0.5) * 2];
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * u));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function fmt(x, digits) {
  return x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(digits);
}

function pct(x) {
  return x === null || x === undefined ? 'n/a' : (100 * x).toFixed(1) + '%';
}

/** A token's text as the page shows it: visible spaces and newlines. */
function shown(text) {
  return text.replace(/\n/g, '\u21b5').replace(/ /g, '\u00b7');
}

function setStatus(message, isError) {
  const s = $('status');
  s.textContent = message;
  s.className = isError ? 'error' : '';
}

function fillSelect(select, count, chosen, label) {
  select.replaceChildren();
  for (let i = 0; i < count; i++) {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = label(i);
    select.appendChild(o);
  }
  select.value = String(Math.min(chosen, count - 1));
}

async function loadInfo() {
  const r = await fetch('api/info');
  const info = await r.json();
  state.info = info;
  const first = info.models[0];
  $('models-line').textContent = info.models.map((m) => `${m.name}: ${m.config}`).join('  |  ');
  $('limits').textContent = `at most ${info.limits.maxChars} characters and ${info.limits.maxTokens} tokens`;
  $('text').maxLength = info.limits.maxChars;
  fillSelect($('layer'), first.layers, 0, (i) => String(i));
  fillSelect($('head'), first.heads, 0, (i) => String(i));
  $('surprisal-max').textContent = `0 \u2026 ${MAX_BITS}+ bits`;
}

async function analyze() {
  const text = $('text').value;
  state.layer = Number($('layer').value);
  state.head = Number($('head').value);
  const request = ++state.sent; // only the latest request's answer is shown
  setStatus('Analysing\u2026', false);
  $('analyze').disabled = true;
  try {
    const r = await fetch('api/analyze', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, layer: state.layer, head: state.head, allHeads: true }),
    });
    const body = await r.json();
    if (request !== state.sent) {
      return;
    }
    if (!r.ok) {
      setStatus(body.error || `the server answered ${r.status}`, true);
      return;
    }
    state.result = body;
    render();
    const n = body.models[0].tokens.length - 1;
    setStatus(`${n} tokens, analysed in ${body.millis} ms`, false);
  } catch (e) {
    if (request === state.sent) {
      setStatus('The server did not answer: ' + e, true);
    }
  } finally {
    if (request === state.sent) {
      $('analyze').disabled = false;
    }
  }
}

function render() {
  const columns = $('columns');
  columns.replaceChildren();
  state.result.models.forEach((m, index) => columns.appendChild(renderModel(m, index)));
}

function renderModel(m, index) {
  const info = state.info.models[index];
  const col = document.createElement('section');
  col.className = 'model';
  col.dataset.model = String(index);
  const h = document.createElement('h2');
  h.textContent = m.model;
  const cfg = document.createElement('p');
  cfg.className = 'config';
  cfg.textContent = info.config;
  col.append(h, cfg, renderTokens(m));
  const headinfo = document.createElement('p');
  headinfo.className = 'headinfo';
  col.appendChild(headinfo);
  const view = document.createElement('div');
  view.className = 'view';
  const map = document.createElementNS(SVG, 'svg');
  map.classList.add('map');
  const heads = document.createElement('div');
  heads.className = 'heads';
  view.append(map, heads);
  col.appendChild(view);
  drawHead(col, m, Math.min(state.head, m.heads - 1));
  drawThumbs(heads, col, m);
  return col;
}

function renderTokens(m) {
  const box = document.createElement('div');
  box.className = 'tokens';
  m.tokens.forEach((t, i) => {
    const span = document.createElement('span');
    span.className = 'tok';
    span.dataset.index = String(i);
    if (t.special) {
      span.classList.add('special');
      span.textContent = 'start';
      span.dataset.special = 'true';
    } else {
      span.textContent = state.result.text.substring(t.start, t.end) || shown(t.text);
      span.dataset.bits = String(t.bits);
      span.style.backgroundColor = surprisalColour(t.bits);
    }
    span.addEventListener('mouseenter', (e) => showTokenTip(e, m, i));
    span.addEventListener('mousemove', moveTip);
    span.addEventListener('mouseleave', hideTip);
    box.appendChild(span);
  });
  const summary = document.createElement('span');
  summary.className = 'summary';
  summary.textContent = `${fmt(m.bitsPerToken, 2)} bits per token on average; hover a token for its log-probability`
    + ' and what the model expected there';
  box.appendChild(summary);
  return box;
}

function showTokenTip(e, m, i) {
  const t = m.tokens[i];
  const tip = $('tip');
  tip.replaceChildren();
  const head = document.createElement('div');
  const code = document.createElement('code');
  code.textContent = shown(t.text);
  head.append(`token ${i} `, code);
  tip.appendChild(head);
  if (t.special) {
    tip.append('the start (end-of-text) token in front of the text: the "first token" of the sink mass');
  } else {
    const p = document.createElement('div');
    p.textContent = `log-probability ${fmt(t.logProb, 3)} (nats), surprisal ${fmt(t.bits, 2)} bits`;
    tip.appendChild(p);
    tip.appendChild(predictionTable('the model expected here:', t.top));
  }
  if (i === m.tokens.length - 1) {
    tip.appendChild(predictionTable('next, after the text:', m.nextTokens));
  }
  tip.hidden = false;
  moveTip(e);
}

function predictionTable(caption, list) {
  const table = document.createElement('table');
  const cap = document.createElement('caption');
  cap.textContent = caption;
  cap.style.textAlign = 'left';
  table.appendChild(cap);
  for (const p of list) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    const code = document.createElement('code');
    code.textContent = shown(p.text);
    a.appendChild(code);
    const b = document.createElement('td');
    b.textContent = pct(p.probability);
    tr.append(a, b);
    table.appendChild(tr);
  }
  return table;
}

function moveTip(e) {
  const tip = $('tip');
  const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  const y = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 16;
  tip.style.left = x + 'px';
  tip.style.top = y + 'px';
}

function hideTip() {
  $('tip').hidden = true;
}

/** The big map of one head, drawn as SVG cells: data-w holds each weight; exact zeros are hatched. */
function drawHead(col, m, head) {
  const weights = m.layerWeights ? m.layerWeights[head] : m.weights;
  const summary = m.summary[m.layer][head];
  const n = weights.length;
  const cell = Math.max(2, Math.min(24, Math.floor(MAP_PIXELS / n)));
  const side = cell * n;
  const map = col.querySelector('svg.map');
  map.replaceChildren();
  map.setAttribute('width', String(side));
  map.setAttribute('height', String(side));
  map.setAttribute('viewBox', `0 0 ${side} ${side}`);
  map.dataset.layer = String(m.layer);
  map.dataset.head = String(head);
  map.dataset.n = String(n);
  const frag = document.createDocumentFragment();
  for (let i = 0; i < n; i++) {
    const row = weights[i];
    for (let j = 0; j < row.length; j++) {
      const w = row[j];
      const r = document.createElementNS(SVG, 'rect');
      r.setAttribute('x', String(j * cell));
      r.setAttribute('y', String(i * cell));
      r.setAttribute('width', String(cell));
      r.setAttribute('height', String(cell));
      r.setAttribute('class', w === 0 ? 'cell zero' : 'cell');
      r.setAttribute('fill', w === 0 ? 'url(#hatch)' : weightColour(w));
      r.dataset.i = String(i);
      r.dataset.j = String(j);
      r.dataset.w = String(w);
      frag.appendChild(r);
    }
  }
  map.appendChild(frag);
  map.onmousemove = (e) => {
    const r = e.target;
    if (!r.dataset || r.dataset.i === undefined) {
      hideTip();
      return;
    }
    const i = Number(r.dataset.i);
    const j = Number(r.dataset.j);
    const w = Number(r.dataset.w);
    const tip = $('tip');
    tip.replaceChildren();
    const q = document.createElement('code');
    q.textContent = shown(m.tokens[i].special ? 'start' : m.tokens[i].text);
    const k = document.createElement('code');
    k.textContent = shown(m.tokens[j].special ? 'start' : m.tokens[j].text);
    tip.append(`query ${i} `, q, ` \u2192 key ${j} `, k);
    const d = document.createElement('div');
    d.textContent = w === 0 ? 'weight 0 (exactly zero: cut by Elastic-Softmax)' : `weight ${w.toPrecision(4)}`;
    tip.appendChild(d);
    tip.hidden = false;
    moveTip(e);
  };
  map.onmouseleave = hideTip;
  col.querySelector('.headinfo').replaceChildren(
    headText(`Layer ${m.layer}, head ${head}: `),
    bold(`sparsity ${pct(summary.sparsity)}`), ' (exactly-zero weights), ',
    bold(`sink mass ${fmt(summary.sinkMass, 4)}`), ' (mean weight on the start token), ',
    bold(`tau ${summary.tau === null ? 'none (no Elastic-Softmax)' : fmt(summary.tau, 3)}`),
    `, surviving mass ${fmt(summary.survivingMass, 3)}. Rows are queries, columns keys. `,
    headText(`The text's tokens after layer ${m.layer}: `),
    bold(`mean cosine ${fmt(layerValue(m.collapse, 'meanCosine', m.layer), 3)}`), ' (1: collapsed), ',
    bold(`effective rank ${fmt(layerValue(m.collapse, 'effectiveRank', m.layer), 2)}`), ' (1: collapsed).');
  col.querySelectorAll('.headthumb').forEach((b) => b.classList.toggle('selected', Number(b.dataset.head) === head));
}

/** The collapse measure `key` of one layer, or null where the text was too short to measure it. */
function layerValue(collapse, key, layer) {
  return collapse && collapse[key] ? collapse[key][layer] : null;
}

function headText(s) {
  return document.createTextNode(s);
}

function bold(s) {
  const b = document.createElement('b');
  b.textContent = s;
  return b;
}

/** Small multiples: every head of the layer; clicking one opens it in the big map (in every model shown). */
function drawThumbs(box, col, m) {
  if (!m.layerWeights) {
    return;
  }
  m.layerWeights.forEach((weights, head) => {
    const n = weights.length;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'headthumb';
    button.dataset.head = String(head);
    const canvas = document.createElement('canvas');
    const scale = Math.max(1, Math.floor(THUMB_PIXELS / n));
    canvas.width = scale * n;
    canvas.height = scale * n;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fafafa';
    g.fillRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const w = weights[i][j];
        g.fillStyle = w === 0 ? ((i + j) % 2 === 0 ? '#ffffff' : '#d0d0d0') : weightColour(w);
        g.fillRect(j * scale, i * scale, scale, scale);
      }
    }
    const s = m.summary[m.layer][head];
    const caption = document.createElement('div');
    caption.textContent = `head ${head}: ${pct(s.sparsity)} zeros`;
    const more = document.createElement('div');
    more.textContent = `sink ${fmt(s.sinkMass, 3)}` + (s.tau === null ? '' : `, tau ${fmt(s.tau, 2)}`);
    caption.appendChild(more);
    button.append(canvas, caption);
    button.classList.toggle('selected', head === Math.min(state.head, m.heads - 1));
    button.addEventListener('click', () => openHead(head));
    box.appendChild(button);
  });
}

function openHead(head) {
  state.head = head;
  $('head').value = String(head);
  document.querySelectorAll('#columns .model').forEach((col) => {
    const m = state.result.models[Number(col.dataset.model)];
    drawHead(col, m, Math.min(head, m.heads - 1));
  });
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  analyze();
});
$('layer').addEventListener('change', analyze);
$('head').addEventListener('change', () => {
  if (state.result) {
    openHead(Number($('head').value));
  }
});
loadInfo().then(analyze).catch((e) => setStatus('Could not reach the server: ' + e, true));
