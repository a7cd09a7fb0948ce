// The advertisers' page: sign in with a bearer token, hash a CSV here and upload the digests, read the reports.
import { api, ApiError, signIn, signOut, token } from './api.js';
import { preview } from './csv.js';
import { normaliseEmail, normalisePhone } from './normalise.js';
import { budgetText, renderAudiences } from './reports.js';
import { Upload } from './upload.js';

const $ = (id) => document.getElementById(id);
const PREVIEW_ROWS = 5;
let currentUpload = null;

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function showSignedIn(signedIn) {
  $('sign-in').hidden = signedIn;
  $('upload').hidden = !signedIn;
  $('audiences').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
}

function segments() {
  return $('segments').value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

async function refresh() {
  try {
    const [audiences, budget] = await Promise.all([api.listAudiences(), api.budget().catch(() => null)]);
    $('budget').textContent = budgetText(budget);
    renderAudiences($('audience-list'), audiences, { segments, onStatus: status, onChanged: (what) => {
      if (what === 'deleted') refresh();
      else api.budget().then((b) => { $('budget').textContent = budgetText(b); }, () => {});
    } });
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      signOut();
      showSignedIn(false);
      status(error.status === 401 ? 'The token was refused (expired or not signed for this service).'
        : 'This token is not an advertiser\'s.', true);
      return false;
    }
    status(error.message, true);
    return false;
  }
}

// Column guesses from the header: "e-mail", "email", "mail"; "phone", "mobile", "gsm", "telefoon", "tel".
function guess(header, pattern) {
  const index = header.findIndex((name) => pattern.test(String(name)));
  return index < 0 ? '' : String(index);
}

function fillColumns(header) {
  for (const [id, pattern] of [['email-column', /e-?mail|courriel/i], ['phone-column', /phone|mobile|gsm|t[ée]l/i]]) {
    const select = $(id);
    select.replaceChildren(new Option('none', ''),
      ...header.map((name, i) => new Option(`${i + 1}: ${String(name).slice(0, 40)}`, String(i))));
    select.value = guess(header, pattern);
    select.disabled = false;
  }
}

let previewRows = [];

function renderPreview() {
  const emailColumn = $('email-column').value;
  const phoneColumn = $('phone-column').value;
  const country = $('country').value;
  const cell = (value) => {
    const td = document.createElement('td');
    if (value === undefined) {
      td.textContent = '—';
    } else if (value === null) {
      td.textContent = 'not valid: not sent';
      td.className = 'invalid';
    } else {
      td.textContent = value;
    }
    return td;
  };
  $('preview-rows').replaceChildren(...previewRows.map((row, i) => {
    const tr = document.createElement('tr');
    const number = document.createElement('th');
    number.scope = 'row';
    number.textContent = String(i + 2);
    tr.append(number,
      cell(emailColumn === '' ? undefined : normaliseEmail(row[Number(emailColumn)] ?? '')),
      cell(phoneColumn === '' ? undefined : normalisePhone(row[Number(phoneColumn)] ?? '', country)));
    return tr;
  }));
  $('preview').hidden = previewRows.length === 0;
}

async function fileChosen() {
  const file = $('file').files[0];
  if (!file) return;
  try {
    const { header, rows } = await preview(file, PREVIEW_ROWS);
    previewRows = rows;
    fillColumns(header);
    if (!$('name').value) $('name').value = file.name.replace(/\.[^.]*$/, '');
    renderPreview();
  } catch {
    status('The file could not be read as CSV.', true);
  }
}

function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return '…';
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

function showProgress(file, state) {
  const elapsed = (performance.now() - state.startedAt) / 1000;
  const rate = elapsed > 0 ? state.rows / elapsed : 0;
  const fraction = file.size > 0 ? state.bytes / file.size : 1;
  $('progress').value = state.done ? 1 : fraction;
  const left = fraction > 0 ? elapsed * (1 - fraction) / fraction : Infinity;
  let text = `${state.rows.toLocaleString('en-GB')} rows, ${Math.round(rate).toLocaleString('en-GB')} rows/s`;
  if (!state.done) text += `, about ${formatSeconds(left)} left`;
  if (state.retrying) {
    text += ` — network trouble: chunk ${state.retrying.chunk} sent again in ${state.retrying.wait} s`
      + ` (attempt ${state.retrying.attempt + 1})`;
  }
  $('progress-text').textContent = text;
}

function summary(targets, cancelled) {
  return targets.map((t) => `${t.audience.name}: ${t.answer.received.toLocaleString('en-GB')} sent, `
    + `${t.answer.valid.toLocaleString('en-GB')} valid, ${t.notHashable.toLocaleString('en-GB')} not `
    + `${t.type === 'email' ? 'e-mail addresses' : 'phone numbers'} (not sent), ${t.empty} empty`).join('; ')
    + (cancelled ? '. Cancelled: the rows sent so far stay in the audience.' : '.');
}

async function startUpload(event) {
  event.preventDefault();
  const file = $('file').files[0];
  const columns = [['email', $('email-column').value, 'email_sha256', ' (e-mail)'],
    ['phone', $('phone-column').value, 'phone_sha256', ' (phone)']].filter(([, column]) => column !== '');
  if (!file || columns.length === 0) {
    status('Choose a file and at least one e-mail or phone column.', true);
    return;
  }
  const name = $('name').value.trim();
  $('start-upload').disabled = true;
  try {
    const targets = [];
    for (const [type, column, identifierType, suffix] of columns) {
      const audience = await api.createAudience({ name: columns.length > 1 ? name + suffix : name,
        identifier_type: identifierType, channel: $('channel').value, ttl_days: Number($('ttl').value) });
      targets.push({ type, column: Number(column), audience });
    }
    $('progress-box').hidden = false;
    $('cancel-upload').hidden = false;
    currentUpload = new Upload(file, targets, $('country').value, (state) => showProgress(file, state));
    status('Hashing and uploading…');
    const done = await currentUpload.run();
    status(summary(done, currentUpload.cancelled));
  } catch (error) {
    status(`Upload stopped: ${error.message}`, true);
  } finally {
    currentUpload = null;
    $('start-upload').disabled = false;
    $('cancel-upload').hidden = true;
    await refresh();
  }
}

function init() {
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    signIn($('token').value);
    $('token').value = '';
    showSignedIn(true);
    if (await refresh()) status('Signed in.');
  });
  $('sign-out').addEventListener('click', () => {
    signOut();
    showSignedIn(false);
    status('Signed out.');
  });
  $('file').addEventListener('change', fileChosen);
  for (const id of ['email-column', 'phone-column', 'country']) $(id).addEventListener('change', renderPreview);
  $('upload-form').addEventListener('submit', startUpload);
  $('cancel-upload').addEventListener('click', () => {
    currentUpload?.cancel();
    status('Cancelling after the chunk being sent…');
  });
  $('refresh').addEventListener('click', refresh);
  $('segments-form').addEventListener('submit', (event) => event.preventDefault());
  if (token()) {
    showSignedIn(true);
    refresh();
  }
}

init();
