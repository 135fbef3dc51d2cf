/** HTML building blocks for the report: escaping and the page around its sections. */

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** One titled section: trusted markup (an SVG we built), or a note when there is nothing to show. */
export interface Section {
  readonly title: string;
  readonly body: { readonly svg: string } | { readonly note: string };
  readonly caption?: string;
}

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table.meta td { padding: 0 1em 0 0; vertical-align: top; } table.meta td:first-child { color: #666; }
.note { color: #888; font-style: italic; } .caption { color: #666; font-size: 0.9em; }
svg { max-width: 100%; height: auto; }`;

/** A complete, self-contained HTML page: title, a metadata table, then the sections. */
export const page = (title: string, metadata: Readonly<Record<string, string>>, sections: readonly Section[]): string => [
  '<!DOCTYPE html>',
  '<html lang="en"><head><meta charset="utf-8">',
  `<title>${escapeHtml(title)}</title>`,
  `<style>${CSS}</style></head><body>`,
  `<h1>${escapeHtml(title)}</h1>`,
  Object.keys(metadata).length === 0 ? '' : `<table class="meta">${Object.entries(metadata)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`,
  ...sections.map((s) => [
    `<section><h2>${escapeHtml(s.title)}</h2>`,
    'svg' in s.body ? s.body.svg : `<p class="note">${escapeHtml(s.body.note)}</p>`,
    s.caption ? `<p class="caption">${escapeHtml(s.caption)}</p>` : '',
    '</section>',
  ].join('\n')),
  '</body></html>',
  '',
].join('\n');
