/* CSV in the browser (imports.js): records with the file line each starts on, read as the
   import reads them (RFC 4180: a quoted value may hold commas, doubled quotes and line breaks;
   a UTF-8 byte order mark is skipped; blank lines are no record), and cells written safe to
   open in a spreadsheet (ecrm.platform.csv_cells: a formula's first character gets a quote). */

/** [{line, values}] of `text`, at most `limit` of them; `complete` false when `text` may end
    inside the last one (a slice of a larger file): that one is left out. */
export function records(text, { limit = Infinity, complete = true } = {}) {
  const found = [];
  let values = [], value = "", quoted = false, line = 1, start = 1, i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const end = () => {
    values.push(value);
    if (values.length > 1 || values[0] !== "") found.push({ line: start, values });
    values = [];
    value = "";
  };
  for (; i < text.length && found.length < limit; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { value += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else { if (c === "\n") line += 1; value += c; }
    } else if (c === '"') quoted = true;
    else if (c === ",") { values.push(value); value = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      end();
      line += 1;
      start = line;
    } else value += c;
  }
  if (found.length < limit && complete && (value || values.length)) end();
  return found;
}

const FORMULA = /^'*[=+\-@\t\r]/;

function cell(value) {
  const safe = FORMULA.test(value) ? "'" + value : value;
  return /[",\r\n]/.test(safe) ? '"' + safe.replace(/"/g, '""') + '"' : safe;
}

export function write(rows) {
  return rows.map((row) => row.map((v) => cell(String(v ?? ""))).join(",")).join("\r\n") + "\r\n";
}
