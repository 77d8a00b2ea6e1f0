/** Lays rows out in left-aligned columns separated by two spaces, header first. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `2026-11-29T10:00:00Z` → `3 hours ago` relative to `now`. */
export function formatAge(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  const steps: Array<[number, string]> = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [30, 'day'],
    [12, 'month'],
  ];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (value < size) return ago(Math.floor(value), unit);
    value /= size;
  }
  return ago(Math.floor(value), 'year');
}

function ago(value: number, unit: string): string {
  if (unit === 'second' && value < 10) return 'just now';
  return `${value} ${unit}${value === 1 ? '' : 's'} ago`;
}
