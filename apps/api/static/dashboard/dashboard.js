// Polls /dashboard/data every second and redraws; no framework, no external files.
'use strict';

const POLL_MS = 1000;
const TOKEN_KEY = 'spool.adminToken';
const $ = (id) => document.getElementById(id);

function token() {
  return localStorage.getItem(TOKEN_KEY);
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  localStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token-form').hidden = true;
  void poll();
});

const fixed = (value, digits = 1) => (value === null || value === undefined ? '–' : Number(value).toFixed(digits));
const ms = (value) => (value === null ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const percent = (value) => (value === null ? '–' : `${(value * 100).toFixed(0)}%`);
const bytes = (value) => (value >= 2 ** 30 ? `${(value / 2 ** 30).toFixed(2)} GiB` : `${(value / 2 ** 20).toFixed(1)} MiB`);

/** Fills a tbody from rows of cells; each cell is text or { text, className } (never HTML). */
function fillRows(tbody, rows, emptyText) {
  const body = $(tbody);
  body.replaceChildren();
  if (rows.length === 0) rows = [[{ text: emptyText, className: 'muted', colSpan: body.parentElement.tHead.rows[0].cells.length }]];
  for (const cells of rows) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = document.createElement('td');
      if (cell instanceof Node) td.append(cell);
      else if (typeof cell === 'object') Object.assign(td, { textContent: cell.text, className: cell.className ?? '', colSpan: cell.colSpan ?? 1 });
      else td.textContent = String(cell);
      tr.append(td);
    }
    body.append(tr);
  }
}

function drawChart(canvasId, series, color) {
  const canvas = $(canvasId);
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  const pad = { left: 44, right: 6, top: 6, bottom: 18 };
  const max = Math.max(1, ...series);
  context.clearRect(0, 0, width, height);
  context.font = '11px system-ui, sans-serif';
  context.fillStyle = '#8a96a3';
  context.strokeStyle = '#263038';
  for (const fraction of [0, 0.5, 1]) {
    const y = pad.top + (1 - fraction) * (height - pad.top - pad.bottom);
    context.beginPath();
    context.moveTo(pad.left, y);
    context.lineTo(width - pad.right, y);
    context.stroke();
    context.fillText(fixed(max * fraction, max < 10 ? 1 : 0), 4, y + 4);
  }
  context.fillText('-10 min', pad.left, height - 4);
  context.fillText('now', width - pad.right - 22, height - 4);
  context.strokeStyle = color;
  context.lineWidth = 1.5;
  context.beginPath();
  series.forEach((value, index) => {
    const x = pad.left + (index / Math.max(1, series.length - 1)) * (width - pad.left - pad.right);
    const y = pad.top + (1 - value / max) * (height - pad.top - pad.bottom);
    if (index === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}

/** Per-second counts averaged over 5-second steps, so the line reads as a rate rather than noise. */
function smooth(points, key, step = 5) {
  const out = [];
  for (let index = 0; index + step <= points.length; index += step) {
    let sum = 0;
    for (let inner = index; inner < index + step; inner += 1) sum += points[inner][key];
    out.push(sum / step);
  }
  return out;
}

function render(data) {
  $('rps').textContent = fixed(data.rates.requestsPerSecond);
  $('tps').textContent = fixed(data.rates.tokensPerSecond);
  $('eps').textContent = fixed(data.rates.errorsPerSecond);
  $('ttft-p50').textContent = ms(data.ttft.p50Ms);
  $('ttft-p95').textContent = ms(data.ttft.p95Ms);
  const hit = data.cache.hitRatio;
  $('cache').textContent = `${percent(hit.l1)} / ${percent(hit.l2)} / ${percent(hit.l3)} (all ${percent(hit.total)})`;
  const styles = getComputedStyle(document.documentElement);
  drawChart('chart-tokens', smooth(data.series, 'tokens'), styles.getPropertyValue('--tokens'));
  drawChart('chart-requests', smooth(data.series, 'requests'), styles.getPropertyValue('--requests'));
  fillRows('queues', data.queues.map((queue) => [queue.label, queue.waiting, queue.active, queue.delayed]), 'no queues');
  fillRows(
    'workers',
    data.workers.map((worker) => [
      worker.workerId,
      worker.model,
      worker.gpus.length > 0 ? worker.gpus.join(', ') : 'CPU',
      `${worker.busySlots} / ${worker.slots}`,
      `${bytes(worker.memoryBytes)} ${worker.memoryKind.toUpperCase()}`,
    ]),
    'no live workers',
  );
  fillRows(
    'batches',
    data.batches.map((batch) => {
      const bar = Object.assign(document.createElement('progress'), { max: batch.total, value: batch.completed + batch.failed });
      const cell = document.createElement('span');
      cell.append(bar, ` ${batch.completed + batch.failed} / ${batch.total}${batch.failed ? ` (${batch.failed} failed)` : ''}`);
      return [batch.id, batch.status, cell];
    }),
    'no running batches',
  );
  fillRows(
    'errors',
    data.errors.map((error) => [
      new Date(error.at).toLocaleTimeString(),
      { text: String(error.status), className: 'bad' },
      error.type,
      error.route,
      error.message,
    ]),
    'no errors',
  );
}

async function poll() {
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  try {
    const response = await fetch('/dashboard/data', { headers, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      $('status').textContent = 'an admin token is needed';
      $('token-form').hidden = false;
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    $('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('status').textContent = `cannot reach the API (${error.message}); retrying`;
  }
}

void poll();
setInterval(() => {
  if ($('token-form').hidden) void poll();
}, POLL_MS);
