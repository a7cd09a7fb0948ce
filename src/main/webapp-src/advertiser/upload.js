// Hashes a CSV file in the browser and uploads the digests in chunks (docs/advertiser-page.md, "Upload and resume").
// Only 64-hex SHA-256 digests leave the page; clear values are normalised and hashed here and dropped at once.
import { api, ApiError } from './api.js';
import { readRows } from './csv.js';
import { normalise, sha256Hex } from './normalise.js';

export const ROWS_PER_CHUNK = 5000;
const BACK_OFF_SECONDS = [1, 2, 4, 8, 15, 30];

function sleep(seconds, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Network failures and the service's own "try again" answers are retried; any other answer is final. */
function retryable(error) {
  if (error instanceof ApiError) {
    return error.status === 502 || error.status === 503 || error.status === 504;
  }
  return error instanceof TypeError;
}

/**
 * One upload of one file into one audience per chosen column. `targets`: [{type: 'email'|'phone', column, audience}].
 * `onProgress(state)` is called after every slice and chunk; `cancel()` stops after the chunk being sent.
 */
export class Upload {
  constructor(file, targets, country, onProgress) {
    this.file = file;
    this.country = country;
    this.onProgress = onProgress;
    this.id = crypto.randomUUID();
    this.cancelled = false;
    this.stop = new AbortController();
    this.state = { rows: 0, bytes: 0, startedAt: performance.now(), retrying: null, done: false };
    this.targets = targets.map((t, index) => ({
      ...t, index, pending: [], chunks: 0, sent: 0, notHashable: 0, empty: 0,
      answer: { received: 0, valid: 0, invalid: 0, plaintext_rejected: 0 },
    }));
  }

  cancel() {
    this.cancelled = true;
    this.stop.abort();
  }

  async run() {
    let sliceStart = 0;
    const { stopped } = await readRows(this.file, async (rows, bytesRead) => {
      for (const [i, row] of rows.entries()) {
        if (i % 1000 === 999) {
          // Within a slice, the bytes read so far are estimated from the rows done.
          this.state.bytes = sliceStart + (bytesRead - sliceStart) * (i / rows.length);
          this.onProgress(this.state);
        }
        if (this.cancelled) {
          return false;
        }
        for (const target of this.targets) {
          this.take(target, row[target.column] ?? '');
          if (target.pending.length >= ROWS_PER_CHUNK) {
            await this.send(target);
          }
        }
        this.state.rows++;
      }
      this.state.bytes = bytesRead;
      sliceStart = bytesRead;
      this.onProgress(this.state);
      return !this.cancelled;
    });
    if (!stopped && !this.cancelled) {
      for (const target of this.targets) {
        if (target.pending.length > 0) {
          await this.send(target);
        }
      }
    }
    this.state.done = true;
    this.state.cancelled = this.cancelled;
    this.onProgress(this.state);
    return this.targets;
  }

  take(target, value) {
    const normalised = normalise(target.type, value, this.country);
    if (normalised !== null) {
      target.pending.push(sha256Hex(normalised));
    } else if (String(value).trim() === '') {
      target.empty++;
    } else {
      target.notHashable++;
    }
  }

  /** Sends the pending digests as one chunk, retrying it with back-off under the same Idempotency-Key. */
  async send(target) {
    const digests = await Promise.all(target.pending);
    target.pending = [];
    const chunk = ++target.chunks;
    const key = `${this.id}-${target.index}-${chunk}`;
    const body = `${digests.join('\n')}\n`;
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await api.uploadChunk(target.audience.id, body, key);
        for (const field of Object.keys(target.answer)) {
          target.answer[field] += answer[field] ?? 0;
        }
        target.sent += digests.length;
        this.state.retrying = null;
        return;
      } catch (error) {
        if (!retryable(error)) {
          throw error;
        }
        if (this.cancelled) {
          throw new Error(`cancelled while chunk ${chunk} was failing: its rows may not have been counted`);
        }
        const wait = error.retryAfterSeconds ?? BACK_OFF_SECONDS[Math.min(attempt, BACK_OFF_SECONDS.length - 1)];
        this.state.retrying = { chunk, attempt: attempt + 1, wait };
        this.onProgress(this.state);
        await sleep(wait, this.stop.signal);
      }
    }
  }
}
