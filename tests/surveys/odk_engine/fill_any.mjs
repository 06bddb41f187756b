// Fills any form the way a field worker would, with ODK's own form engine (@getodk/xforms-engine),
// against a running Testigo: formList -> form -> manifest attachments -> fill every relevant question
// with a value of its type, two rows in every repeat -> HEAD -> POST.
// Usage: node fill_any.mjs SERVER_URL_WITH_TOKEN FORM_ID
// Prints one JSON line: {"formList", "form", "payloadStatus", "head", "post", "body", "instanceXml", ...}.
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

const [server, formId] = process.argv.slice(2);
const base = server.endsWith('/') ? server : `${server}/`;
const headers = { 'X-OpenRosa-Version': '1.0' };
const result = { filled: 0, repeats: 0 };

const list = await fetch(`${base}formList?formID=${encodeURIComponent(formId)}`, { headers });
result.formList = list.status;
const listXml = await list.text();
const downloadUrl = /<downloadUrl>([^<]+)<\/downloadUrl>/.exec(listXml)[1].replaceAll('&amp;', '&');
const manifestUrl = /<manifestUrl>([^<]+)<\/manifestUrl>/.exec(listXml)?.[1]?.replaceAll('&amp;', '&');
const formResponse = await fetch(downloadUrl, { headers });
result.form = formResponse.status;
const files = {};
if (manifestUrl) {
  const manifest = await (await fetch(manifestUrl, { headers })).text();
  for (const match of manifest.matchAll(/<filename>([^<]+)<\/filename>.*?<downloadUrl>([^<]+)<\/downloadUrl>/gs)) {
    files[match[1]] = match[2].replaceAll('&amp;', '&');
  }
}
result.attachments = Object.keys(files).sort();
const form = {
  // Attachments come from the manifest, as ODK Collect downloads them; a missing one loads blank.
  fetchFormAttachment: async (url) => {
    const name = decodeURIComponent(String(url).split('/').pop());
    return files[name] ? fetch(files[name], { headers }) : new Response('', { status: 404 });
  },
  missingResourceBehavior: 'BLANK',
};
const { root } = await createInstance(await formResponse.text(), { form });

const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8Q' +
  'EBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=', 'base64');
const SAMPLE = {
  string: 'prueba', int: '3', decimal: '2.5', date: '2026-03-01', time: '10:30:00', dateTime: '2026-03-01T10:30:00',
  geopoint: '14.0723 -87.1921 1000 5', geotrace: '14.07 -87.19 0 0;14.08 -87.18 0 0',
  geoshape: '14.07 -87.19 0 0;14.08 -87.18 0 0;14.08 -87.19 0 0;14.07 -87.19 0 0', barcode: '7501234567890',
};

function fill(node) {
  const state = node.currentState;
  if (!state.relevant) return;
  if (node.nodeType === 'repeat-range:uncontrolled' && state.children.length < 2) {
    node.addInstances(state.children.length - 1, 2 - state.children.length);
    result.repeats += 1;
  }
  if (!state.readonly) {
    try {
      if (node.nodeType === 'select' && state.valueOptions?.length) {
        node.selectValues([state.valueOptions[0].value]);
        result.filled += 1;
      } else if (node.nodeType === 'input' && SAMPLE[node.valueType] !== undefined && !state.value) {
        node.setValue(SAMPLE[node.valueType]);
        result.filled += 1;
      } else if (node.nodeType === 'upload' && String(node.definition?.bodyElement?.options?.mediaType ??
                                                     node.nodeOptions?.media?.accept ?? '').startsWith('image')) {
        node.setValue(new File([JPEG], 'foto.jpg', { type: 'image/jpeg' }));
        result.filled += 1;
      }
    } catch (error) {
      (result.skipped ??= []).push(`${state.reference}: ${String(error?.message ?? error).slice(0, 120)}`);
    }
  }
  for (const child of node.currentState.children ?? []) fill(child);
}
fill(root);

const payload = await root.prepareInstancePayload();
result.payloadStatus = payload.status;
const body = payload.data[0];
result.instanceXml = await body.get('xml_submission_file').text();
const submissionUrl = `${base}submission`;
result.head = (await fetch(submissionUrl, { method: 'HEAD', headers })).status;
const post = await fetch(submissionUrl, { method: 'POST', body, headers });
result.post = post.status;
result.body = await post.text();
result.instanceId = payload.submissionMeta?.instanceID ?? null;
console.log(JSON.stringify(result));
