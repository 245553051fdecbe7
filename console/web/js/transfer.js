// transfer.js: uploads from the object browser. A file up to PART_BYTES
// goes in one PUT; a larger one as a multipart upload through the console
// API (create, one PUT per part of PART_BYTES or more, complete), each part
// a slice of the File, so the browser reads it from disk as it sends and the
// server streams it into storage. XMLHttpRequest, because fetch reports no
// upload progress. Cancel aborts the request in flight and the upload.
import { api, enc, csrfToken, ApiError } from './api.js';
import { h, clear, fmtBytes } from './dom.js';

// PART_BYTES is the part size; the server takes parts up to 64 MiB and at
// most 10,000 of them, so a larger file uses larger parts.
export const PART_BYTES = 8 * 1024 * 1024;
const MAX_PART_BYTES = 64 * 1024 * 1024;
const MAX_PARTS = 10000;
// PARALLEL_FILES is how many files go up at once.
const PARALLEL_FILES = 2;
const MAX_KEY_BYTES = 1024;

const utf8 = new TextEncoder();

// keyProblem explains why key is not a valid object name, or returns ''.
export function keyProblem(key) {
  const n = utf8.encode(key).length;
  if (!key) return 'invalid object name: it is empty';
  if (n > MAX_KEY_BYTES) return `invalid object name: it is ${n} bytes and the limit is ${MAX_KEY_BYTES}`;
  if (key.includes('\0')) return 'invalid object name: names must not hold NUL characters';
  return '';
}

// partSize is the part size for a file of size bytes.
export function partSize(size) {
  return Math.min(MAX_PART_BYTES, Math.max(PART_BYTES, Math.ceil(size / MAX_PARTS)));
}

// send PUTs body with progress; it resolves with the JSON answer, rejects
// with an ApiError (status 0 when aborted or unreachable).
function send(xhrs, url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhrs.add(xhr);
    xhr.open('PUT', url);
    xhr.setRequestHeader('X-CSRF-Token', csrfToken());
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const done = () => xhrs.delete(xhr);
    xhr.onload = () => {
      done();
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      reject(new ApiError(xhr.status, (data && data.error) || `Upload failed (${xhr.status}).`, data));
    };
    xhr.onerror = () => { done(); reject(new ApiError(0, 'Cannot reach the Coffer server.')); };
    xhr.onabort = () => { done(); reject(new ApiError(0, 'Cancelled.')); };
    xhr.send(body);
  });
}

// uploadQueue renders the uploads panel and returns {add(items), el}; items
// are {file, key}. onDone runs whenever a file finished (to reload the list).
export function uploadQueue(container, onDone) {
  const list = h('ul', { class: 'upload-list' });
  const total = h('progress', { max: 1, value: 0, 'aria-label': 'Total upload progress', id: 'upload-total' });
  const totalText = h('span', { class: 'small', 'data-total-text': '' });
  const cancelAll = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel all');
  const clearDone = h('button', { type: 'button', class: 'btn btn-small' }, 'Clear finished');
  const el = h('section', { class: 'panel uploads-panel', 'aria-label': 'Uploads', hidden: true },
    h('div', { class: 'upload-total' }, h('strong', {}, 'Uploads'), total, totalText, cancelAll, clearDone),
    list);
  const jobs = [];
  let running = 0;

  const refreshTotal = () => {
    const live = jobs.filter((j) => j.state !== 'cancelled' && j.state !== 'failed');
    const size = live.reduce((s, j) => s + j.file.size, 0);
    const sent = live.reduce((s, j) => s + j.sent, 0);
    total.max = Math.max(1, size);
    total.value = sent;
    const pct = size ? Math.floor((sent / size) * 100) : (live.length && live.every((j) => j.state === 'done') ? 100 : 0);
    totalText.textContent = `${pct}% of ${fmtBytes(size)} (${live.filter((j) => j.state === 'done').length}/${live.length} files)`;
    total.setAttribute('data-percent', String(pct));
    cancelAll.hidden = !jobs.some((j) => j.state === 'queued' || j.state === 'sending');
  };

  const setState = (job, state, msg) => {
    job.state = state;
    job.row.setAttribute('data-state', state);
    clear(job.status, msg || state);
    if (state === 'failed') job.status.setAttribute('role', 'alert');
    job.cancel.hidden = state !== 'queued' && state !== 'sending';
    refreshTotal();
  };

  const progress = (job, sent) => {
    job.sent = Math.min(job.file.size, sent);
    job.bar.max = Math.max(1, job.file.size);
    job.bar.value = job.file.size ? job.sent : 1;
    const pct = job.file.size ? Math.floor((job.sent / job.file.size) * 100) : 100;
    job.bar.setAttribute('data-percent', String(pct));
    refreshTotal();
  };

  async function run(job) {
    const base = `/api/containers/${enc(container)}`;
    const ct = job.file.type || '';
    const size = job.file.size;
    setState(job, 'sending', 'uploading…');
    try {
      const problem = keyProblem(job.key);
      if (problem) throw new ApiError(400, problem);
      const part = partSize(size);
      if (size <= part) {
        await send(job.xhrs, `${base}/object?key=${enc(job.key)}&contentType=${enc(ct)}`, job.file, (n) => progress(job, n));
      } else {
        const up = await api('POST', `${base}/uploads`, { key: job.key, contentType: ct });
        job.uploadId = up.uploadId;
        if (job.state === 'cancelled') throw new ApiError(0, 'Cancelled.');
        const parts = Math.ceil(size / part);
        for (let i = 0; i < parts; i++) {
          if (job.state === 'cancelled') throw new ApiError(0, 'Cancelled.');
          const start = i * part;
          const blob = job.file.slice(start, Math.min(size, start + part));
          await send(job.xhrs, `${base}/uploads/${enc(up.uploadId)}/parts/${i + 1}?key=${enc(job.key)}`, blob,
            (n) => progress(job, start + n));
        }
        await api('POST', `${base}/uploads/${enc(up.uploadId)}/complete`, { key: job.key, parts });
      }
      progress(job, size);
      setState(job, 'done', 'done');
      onDone();
    } catch (err) {
      if (job.state === 'cancelled') return;
      progress(job, 0); // refused: nothing of it is stored
      setState(job, 'failed', err.message || String(err));
      abortUpload(job);
    }
  }

  // abortUpload removes the unfinished multipart upload of a cancelled or
  // failed job, so its parts stop counting toward the quota.
  function abortUpload(job) {
    if (!job.uploadId) return;
    const id = job.uploadId;
    job.uploadId = '';
    api('DELETE', `/api/containers/${enc(container)}/uploads?key=${enc(job.key)}&uploadId=${enc(id)}`).catch(() => {});
  }

  function cancel(job) {
    if (job.state !== 'queued' && job.state !== 'sending') return;
    setState(job, 'cancelled', 'cancelled');
    for (const x of job.xhrs) x.abort();
    abortUpload(job);
    pump();
  }

  function pump() {
    while (running < PARALLEL_FILES) {
      const job = jobs.find((j) => j.state === 'queued');
      if (!job) return;
      running++;
      run(job).finally(() => { running--; pump(); });
    }
  }

  cancelAll.addEventListener('click', () => jobs.slice().forEach(cancel));
  clearDone.addEventListener('click', () => {
    for (let i = jobs.length - 1; i >= 0; i--) {
      if (jobs[i].state === 'done' || jobs[i].state === 'cancelled' || jobs[i].state === 'failed') {
        jobs[i].row.remove();
        jobs.splice(i, 1);
      }
    }
    refreshTotal();
    if (!jobs.length) el.hidden = true;
  });

  function add(items) {
    for (const { file, key } of items) {
      const job = { file, key, sent: 0, state: 'queued', xhrs: new Set(), uploadId: '' };
      job.bar = h('progress', { max: Math.max(1, file.size), value: 0, 'aria-label': `Upload progress of ${key}`, 'data-percent': '0' });
      job.status = h('span', { class: 'upload-status small' });
      job.cancel = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Cancel upload of ${key}` }, 'Cancel');
      job.cancel.addEventListener('click', () => cancel(job));
      job.row = h('li', { 'data-upload-key': key, 'data-state': 'queued' },
        h('span', { class: 'mono upload-name', title: key }, key), h('span', { class: 'small muted' }, fmtBytes(file.size)),
        job.bar, job.status, job.cancel);
      list.append(job.row);
      jobs.push(job);
      setState(job, 'queued', 'waiting');
    }
    el.hidden = jobs.length === 0;
    pump();
  }

  return { el, add, busy: () => jobs.some((j) => j.state === 'queued' || j.state === 'sending'), cancelAll: () => jobs.slice().forEach(cancel) };
}

// droppedFiles turns a drop's DataTransfer into [{file, path}], walking
// dropped folders (path keeps the folder names). At most limit files.
export async function droppedFiles(dt, limit = 10000) {
  const out = [];
  const entries = [];
  for (const item of Array.from(dt.items || [])) {
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
  }
  if (!entries.length) {
    for (const f of Array.from(dt.files || [])) out.push({ file: f, path: f.name });
    return out.slice(0, limit);
  }
  const fileOf = (entry) => new Promise((res, rej) => entry.file(res, rej));
  const readBatch = (reader) => new Promise((res, rej) => reader.readEntries(res, rej));
  const walk = async (entry) => {
    if (out.length >= limit) return;
    if (entry.isFile) {
      out.push({ file: await fileOf(entry), path: entry.fullPath.replace(/^\/+/, '') });
      return;
    }
    const reader = entry.createReader();
    // readEntries answers in batches until an empty one.
    for (;;) {
      const batch = await readBatch(reader);
      if (!batch.length || out.length >= limit) return;
      for (const e of batch) await walk(e);
    }
  };
  for (const e of entries) await walk(e);
  return out;
}
