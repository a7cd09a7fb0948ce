// The audience list, each audience's report (refined by segments), a small chart and the privacy budget.
// A report is fetched only when asked for: under differential privacy each fresh question spends budget.
import { api, ApiError } from './api.js';

const number = new Intl.NumberFormat('en-GB');
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') {
      node.textContent = value;
    } else {
      node.setAttribute(name, value);
    }
  }
  node.append(...children);
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** Three bars: received, valid, matched (a suppressed count draws no bar and says why). */
export function chart(report) {
  const rows = [['received', report.received], ['valid', report.valid], ['matched', report.matched]];
  const max = Math.max(1, report.received ?? 0, report.valid ?? 0, report.matched ?? 0);
  const figure = svg('svg', { class: 'chart', viewBox: '0 0 320 84', role: 'img',
    'aria-label': `received ${report.received}, valid ${report.valid}, matched ${report.matched ?? 'below threshold'}` });
  rows.forEach(([label, value], i) => {
    const y = 4 + i * 27;
    figure.append(svg('text', { x: 0, y: y + 15 }, label));
    if (value !== null && value !== undefined) {
      figure.append(svg('rect', { class: `bar-${label}`, x: 70, y, height: 20, width: Math.max(1, 170 * value / max) }));
    }
    figure.append(svg('text', { x: 246, y: y + 15 }, value === null ? 'below threshold' : number.format(value)));
  });
  return figure;
}

/** What a report says about noise and budget, in words; "exact counts" when the service adds none. */
function privacyLine(report) {
  if (report.noise) {
    const parts = [`${report.noise.replace('_', ' ')} noise`];
    if (report.epsilon !== undefined) parts.push(`ε = ${report.epsilon}`);
    if (report.budget_remaining !== undefined) parts.push(`budget remaining ${report.budget_remaining}`);
    return parts.join(', ');
  }
  if (report.noise_scale !== undefined) {
    return `counts carry seeded noise (scale ${report.noise_scale})`;
  }
  return 'exact counts (no differential privacy)';
}

export function renderReport(container, report) {
  const matched = report.matched === null ? `below threshold (under ${report.threshold})` : number.format(report.matched);
  // data-value carries the number as the API gave it (the text is formatted for people): the browser test reads it.
  const row = (label, field, text) => [el('dt', { text: label }),
    el('dd', { text, 'data-field': field, 'data-value': report[field] === null ? '' : String(report[field]) })];
  const list = el('dl', {},
    ...row('received', 'received', number.format(report.received)),
    ...row('valid', 'valid', number.format(report.valid)),
    ...row('invalid', 'invalid', number.format(report.invalid)),
    ...row('clear text refused', 'plaintext_rejected', number.format(report.plaintext_rejected)),
    ...row('matched', 'matched', matched));
  const segments = report.segments?.length ? `in segments ${report.segments.join(', ')}; ` : '';
  const note = el('p', { class: 'help', text: `${segments}counts under ${report.threshold} are not shown, others are `
    + `rounded down to ${report.rounded_to}; ${privacyLine(report)}.` });
  container.replaceChildren(list, chart(report), note);
}

export function budgetText(budget) {
  if (!budget || budget.remaining === undefined) {
    return 'Reports give exact counts (no differential privacy).';
  }
  return `Privacy budget: ${budget.remaining} of ${budget.budget} left (window ${budget.window_days} days`
    + `${budget.next_refill_at ? `, next refill ${new Date(budget.next_refill_at).toLocaleString()}` : ''}); `
    + `the next fresh question costs ε = ${budget.epsilon_per_question}.`;
}

/** One list item per audience, with "Show report" and "Delete". */
export function renderAudiences(list, audiences, { segments, onStatus, onChanged }) {
  list.replaceChildren();
  if (audiences.length === 0) {
    list.append(el('li', { text: 'No audiences yet.' }));
    return;
  }
  for (const audience of audiences) {
    const titleId = `audience-${audience.id}`;
    const report = el('div', { class: 'report', 'aria-live': 'polite' });
    const show = el('button', { type: 'button', 'aria-describedby': titleId, text: 'Show report' });
    const remove = el('button', { type: 'button', class: 'danger', 'aria-describedby': titleId, text: 'Delete' });
    show.addEventListener('click', async () => {
      show.disabled = true;
      report.setAttribute('aria-busy', 'true');
      report.replaceChildren(el('p', { class: 'help', text: 'Asking the service…' }));
      try {
        renderReport(report, await api.report(audience.id, segments()));
        onChanged?.('report');
      } catch (error) {
        // A spent budget answers 429 with a detail that says when questions may be asked again.
        report.replaceChildren(el('p', { class: 'problem', role: 'alert', text: error.message }));
      } finally {
        show.disabled = false;
        report.setAttribute('aria-busy', 'false');
      }
    });
    remove.addEventListener('click', async () => {
      if (!window.confirm(`Delete the audience "${audience.name}" and everything derived from it?`)) return;
      try {
        await api.deleteAudience(audience.id);
        onStatus(`Deleted "${audience.name}".`);
        onChanged?.('deleted');
      } catch (error) {
        onStatus(error.message, true);
      }
    });
    const kind = audience.identifier_type === 'phone_sha256' ? 'phone numbers' : 'e-mail addresses';
    list.append(el('li', { 'data-audience-id': audience.id },
      el('h3', { id: titleId, text: audience.name }),
      el('p', { class: 'meta', text: `${kind}, channel ${audience.channel}, expires `
        + `${new Date(audience.expires_at).toLocaleDateString()}` }),
      el('div', { class: 'actions' }, show, remove),
      report));
  }
}

export { ApiError };
