// Loads XForms in ODK's own form engine (@getodk/xforms-engine, the engine behind ODK Web Forms), as a
// client would on opening a form, to tell which forms ODK can load.
// Usage: node load_forms.mjs '["a.xml", "b.xml"]'   (or the JSON list on stdin)
// Prints one JSON line per form: {"path": ..., "ok": true|false, "error": message or null}.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const { window } = new JSDOM('');
globalThis.DOMParser = window.DOMParser;
globalThis.XMLSerializer = window.XMLSerializer;
globalThis.document = window.document;
globalThis.Node ??= window.Node;
globalThis.__dirname = path.dirname(fileURLToPath(import.meta.url));
const { createInstance } = await import('@getodk/xforms-engine');

const paths = JSON.parse(process.argv[2] ?? readFileSync(0, 'utf8'));
// Secondary instances with a src (external CSV/XML files, not part of the XForm) load blank: a missing
// attachment is not what this script measures.
const form = {
  fetchFormAttachment: async () => new Response('', { status: 404 }),
  missingResourceBehavior: 'BLANK',
};

for (const formPath of paths) {
  const result = { path: formPath, ok: true, error: null };
  try {
    await createInstance(readFileSync(formPath, 'utf8'), { form });
  } catch (error) {
    result.ok = false;
    result.error = String(error?.message ?? error).slice(0, 500);
  }
  console.log(JSON.stringify(result));
}
