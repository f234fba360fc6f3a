'use strict';
// The menu against a real menu_action: tests/test_apps_script.py serves the function with
// functions-framework on loopback (over the local Sheets server) and passes its address, an ID
// token minted with a local key and the spreadsheet id in the environment. Run alone, it skips.
const test = require('node:test');
const assert = require('node:assert/strict');
const {spawnSync} = require('node:child_process');
const {load, textOf} = require('./fakes');

const env = process.env;
const ready = Boolean(env.RELANCE_RT_URL && env.RELANCE_RT_TOKEN && env.RELANCE_RT_SHEET);

// UrlFetchApp.fetch is synchronous: the request is made by a child node process (global fetch)
// and the test waits for its answer, status and body, as Apps Script does.
const CHILD = `
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const r = JSON.parse(input);
  try {
    const res = await fetch(r.url, {method: r.method, headers: r.headers, body: r.body, redirect: 'manual'});
    process.stdout.write(JSON.stringify({status: res.status, text: await res.text()}));
  } catch (e) {
    process.stdout.write(JSON.stringify({error: String(e)}));
  }
});`;

function overHttp(request) {
  const {url, params} = request;
  const headers = {...params.headers, 'Content-Type': params.contentType};
  const child = spawnSync(process.execPath, ['-e', CHILD], {
    input: JSON.stringify({url, method: params.method.toUpperCase(), headers, body: params.payload}),
    encoding: 'utf8', timeout: 300000,  // a hang guard only
  });
  const reply = JSON.parse(child.stdout || '{"error": "no answer"}');
  if (reply.error) return new Error(reply.error);
  return {status: reply.status, body: reply.text};
}

function menu(token, locale = 'fr_FR') {
  return load({locale, id: env.RELANCE_RT_SHEET, token, properties: {RELANCE_FUNCTION_URL: env.RELANCE_RT_URL},
               respond: overHttp});
}

test('preview, send now twice, and a stranger, against the real menu_action', {skip: !ready && 'run by tests/test_apps_script.py'}, () => {
  const n = Number(env.RELANCE_RT_DUE);
  const preview = menu(env.RELANCE_RT_TOKEN);
  preview.script.relancePreview();
  assert.equal(preview.state.fetches.length, 1);
  const seen = textOf(preview.state.sidebars[0].html);
  assert.match(seen, new RegExp(`À envoyer \\(${n}\\)`), seen);
  assert.match(seen, /Aperçu\s: rien n’a été envoyé ni écrit/);
  assert.match(seen, /Anomalies \(\d+\)/);

  const send = menu(env.RELANCE_RT_TOKEN);
  send.script.relanceSend();
  assert.equal(send.state.alerts.length, 1);
  const sent = textOf(send.state.sidebars[0].html);
  assert.match(sent, new RegExp(`Envoyées \\(${n}\\)`), sent);
  assert.match(sent, /client C00 — factures F00 — 100,00\s€ — étape reminder_1 — à compta@c00\.example/);

  const again = menu(env.RELANCE_RT_TOKEN, 'en_US');  // a second click: nothing twice
  again.script.relanceSend();
  const twice = textOf(again.state.sidebars[0].html);
  assert.match(twice, /Sent \(0\)\nNothing to send today\./, twice);

  const stranger = menu(env.RELANCE_RT_STRANGER_TOKEN);
  stranger.script.relanceSend();
  const refused = textOf(stranger.state.sidebars[0].html);
  assert.match(refused, /relance n’a pas pu le faire/);
  assert.match(refused, /ne peut pas modifier cette feuille/, refused);  // the function's own words
  assert.match(refused, /Que faire\s: demandez à son propriétaire de la partager avec votre adresse comme éditeur/);
});
