// Sizes and lists of names as the gallery's browser-side components print them (imported by
// upload_guard.js and direct_upload.js). Sizes as DevTools prints them (1 kB = 1,000 B), like the
// rest of the app (app/units.py; the payload meter, a drop-in, keeps its own copy).

export function human(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  for (const unit of ["kB", "MB", "GB"]) {
    value /= 1000;
    if (value < 100) return `${value.toFixed(1)} ${unit}`;
    if (value < 1000 || unit === "GB") return `${Math.round(value)} ${unit}`;
  }
}

/** At most ten names, then how many more. */
export function listed(names) {
  const shown = names.slice(0, 10).join(", ");
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}
