// Drives ODK's own form engine (@getodk/xforms-engine, the engine behind ODK Web Forms) against a
// running Testigo, as a field device would: formList -> form download -> fill -> HEAD -> POST.
// Usage: node fill_and_submit.mjs SERVER_URL_WITH_TOKEN ANSWERS_JSON
// Prints one JSON line: {"formList": status, "head": status, "post": status, "body": text, ...}.
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

const [server, answersJson] = process.argv.slice(2);
const answers = JSON.parse(answersJson);
const base = server.endsWith('/') ? server : `${server}/`;
const result = {};

const list = await fetch(`${base}formList`, { headers: { 'X-OpenRosa-Version': '1.0' } });
result.formList = list.status;
result.openRosaVersion = list.headers.get('x-openrosa-version');
const listXml = await list.text();
const downloadUrl = /<downloadUrl>([^<]+)<\/downloadUrl>/.exec(listXml)[1];
const form = await fetch(downloadUrl, { headers: { 'X-OpenRosa-Version': '1.0' } });
const { root } = await createInstance(await form.text());

function* walk(node) {
  yield node;
  for (const child of node.currentState.children ?? []) yield* walk(child);
}

for (const node of walk(root)) {
  const name = node.currentState.reference?.split('/').pop();
  if (!(name in answers) || !node.currentState.relevant) continue;
  const value = answers[name];
  if (node.nodeType === 'select') {
    node.selectValues(Array.isArray(value) ? value : [value]);
  } else if (node.nodeType === 'upload') {
    node.setValue(new File([Buffer.from(value.base64, 'base64')], value.name, { type: value.type }));
  } else {
    node.setValue(value);
  }
}

const payload = await root.prepareInstancePayload();
result.payloadStatus = payload.status;
const submissionUrl = `${base}submission`;
const head = await fetch(submissionUrl, { method: 'HEAD', headers: { 'X-OpenRosa-Version': '1.0' } });
result.head = head.status;
const post = await fetch(submissionUrl, {
  method: 'POST', body: payload.data[0], headers: { 'X-OpenRosa-Version': '1.0' },
});
result.post = post.status;
result.acceptContentLength = post.headers.get('x-openrosa-accept-content-length');
result.body = await post.text();
result.instanceId = payload.submissionMeta?.instanceID ?? null;
console.log(JSON.stringify(result));
