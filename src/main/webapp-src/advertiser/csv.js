// Reads a CSV file as a stream of rows (Papa Parse reads the File in slices: a file of any size is never whole in
// memory). The delimiter (',' or ';' as Excel writes in Belgium) is guessed from the first rows.
import Papa from 'papaparse';

export const SLICE_BYTES = 1024 * 1024;

/** The header row and the next `rows` rows. */
export function preview(file, rows) {
  return new Promise((resolve, reject) => {
    Papa.parse(file, {
      preview: rows + 1,
      skipEmptyLines: 'greedy',
      complete: (result) => resolve({ header: result.data[0] ?? [], rows: result.data.slice(1) }),
      error: reject,
    });
  });
}

/**
 * Calls `onRows(rows, bytesRead)` for each slice of the file (the header row left out), waiting for its promise
 * before reading on; `onRows` returning false stops the reading. Resolves when the file is read or stopped.
 */
export function readRows(file, onRows) {
  return new Promise((resolve, reject) => {
    let first = true;
    let bytesRead = 0;
    let stopped = false;
    Papa.parse(file, {
      chunkSize: SLICE_BYTES,
      skipEmptyLines: 'greedy',
      chunk: (result, parser) => {
        parser.pause();
        bytesRead = Math.min(file.size, bytesRead + SLICE_BYTES);
        let rows = result.data;
        if (first) {
          rows = rows.slice(1);
          first = false;
        }
        Promise.resolve(onRows(rows, bytesRead)).then((goOn) => {
          if (goOn === false) {
            stopped = true;
            parser.abort();
          } else {
            parser.resume();
          }
        }, (error) => {
          stopped = true;
          parser.abort();
          reject(error);
        });
      },
      complete: () => resolve({ stopped }),
      error: reject,
    });
  });
}
