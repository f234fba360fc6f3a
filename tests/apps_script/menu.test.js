'use strict';
// The Relance menu (sheet_templates/apps_script/Code.gs) against the fakes of fakes.js.
// Run: node --test tests/apps_script/   (pytest runs it too: tests/test_apps_script.py)
const test = require('node:test');
const assert = require('node:assert/strict');
const {load, textOf} = require('./fakes');

const URL = 'https://europe-west1-relance-test.cloudfunctions.net/relance-menu';
const configured = {RELANCE_FUNCTION_URL: URL};

function action(over) {
  return {action_key: 'k1', customer_id: 'C1', invoice_ids: ['F1'], scenario: 'standard', step: 'reminder_1',
          channel: 'email', recipient: 'compta@c1.example', amounts: {EUR: '1234.5'}, days_past_due: 18,
          requires_approval: false, status: 'sent', message_id: 'm1', ...over};
}

function summary(over) {
  return {run_id: 'r1', as_of: '2026-12-01', dry_run: false, planned: 2, sent: 1, failed: 0, awaiting_approval: 1,
          held_back: 0, deferred: null, next_window: null, anomalies: {errors: 0, warnings: 0},
          actions: [action(), action({action_key: 'k2', customer_id: 'C2', invoice_ids: ['F2'], status: 'awaiting_approval',
                                      requires_approval: true, step: 'mise_en_demeure', amounts: {EUR: '99'}})],
          skips: [], ...over};
}

test('onOpen builds the Relance menu in French from a French locale', () => {
  const {script, state} = load({locale: 'fr_FR'});
  script.onOpen({});
  assert.equal(state.menus.length, 1);
  const [menu] = state.menus;
  assert.equal(menu.name, 'Relance');
  assert.deepEqual(menu.items.filter((i) => !i.separator).map((i) => [i.caption, i.fn]), [
    ['Actualiser les retards', 'relanceRefresh'],
    ['Prévisualiser les relances', 'relancePreview'],
    ['Envoyer maintenant', 'relanceSend'],
    ['Mettre à jour le tableau de bord', 'relanceDashboard'],
    ['Aide', 'relanceHelp'],
  ]);
  for (const item of menu.items.filter((i) => !i.separator)) {
    assert.equal(typeof script[item.fn], 'function', item.fn);  // every item names a real function
  }
});

test('onOpen builds the menu in English from an English locale, French otherwise', () => {
  for (const locale of ['en_US', 'en_GB', 'en']) {
    const {script, state} = load({locale});
    script.onOpen({});
    assert.deepEqual(state.menus[0].items.filter((i) => !i.separator).map((i) => i.caption),
      ['Refresh aging', 'Preview reminders', 'Send now', 'Update dashboard', 'Help'], locale);
  }
  for (const locale of ['fr_CA', 'fr', '', null]) {
    const {script, state} = load({locale});
    script.onOpen({});
    assert.equal(state.menus[0].items[0].caption, 'Actualiser les retards', String(locale));
  }
});

test('each item posts its action, the workbook and the language with the identity token', () => {
  const items = {relanceRefresh: 'refresh', relancePreview: 'preview', relanceSend: 'send',
                 relanceDashboard: 'dashboard'};
  for (const [fn, name] of Object.entries(items)) {
    for (const [locale, lang] of [['fr_FR', 'fr'], ['en_US', 'en']]) {
      const {script, state} = load({locale, properties: configured, id: 'sheet-42', token: 'tok-123',
                                    respond: () => ({status: 200, body: {ok: true, action: name, summary: summary()}})});
      script[fn]();
      assert.equal(state.fetches.length, 1, fn);
      const [{url, params, body}] = state.fetches;
      assert.equal(url, URL);
      assert.equal(params.method, 'post');
      assert.equal(params.contentType, 'application/json');
      assert.equal(params.headers.Authorization, 'Bearer tok-123');
      assert.equal(params.muteHttpExceptions, true);
      assert.deepEqual(body, {action: name, workbook: 'gsheet:sheet-42', lang});
      assert.equal(state.sidebars.length, 1);
    }
  }
});

test('Send now asks first; a No sends nothing', () => {
  const {script, state} = load({properties: configured, answer: 'NO'});
  script.relanceSend();
  assert.equal(state.alerts.length, 1);
  assert.equal(state.alerts[0].buttons, 'YES_NO');
  assert.match(state.alerts[0].title, /Envoyer les relances maintenant/);
  assert.equal(state.fetches.length, 0);
  assert.match(textOf(state.sidebars[0].html), /rien n’a été envoyé/);
  const yes = load({properties: configured, answer: 'YES',
                    respond: () => ({status: 200, body: {ok: true, action: 'send', summary: summary()}})});
  yes.script.relanceSend();
  assert.equal(yes.state.fetches.length, 1);
  assert.equal(yes.state.fetches[0].body.action, 'send');
});

test('the sidebar shows what was sent, what waits for approval and the anomalies, escaped', () => {
  const hostile = '<script>alert("x")</script>';
  const {script, state} = load({properties: configured, respond: () => ({status: 200, body: {ok: true, action: 'send',
    summary: summary({actions: [action({customer_id: hostile, recipient: 'a&b@c.example'}),
                                action({customer_id: 'C2', status: 'awaiting_approval', requires_approval: true})],
                      anomalies: {errors: 1, warnings: 2}})}})});
  script.relanceSend();
  const [{title, html}] = state.sidebars;
  assert.equal(title, 'Relance — Envoyer maintenant');
  assert.ok(!html.includes('<script>'), html);
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.ok(html.includes('a&amp;b@c.example'));
  const text = textOf(html);
  assert.match(text, /Au 01\/12\/2026/);
  assert.match(text, /Envoyées \(1\)/);
  assert.match(text, /1\u202f234,50\u00a0€/);
  assert.match(text, /En attente de validation \(1\)\nclient C2/);
  assert.match(text, /Anomalies \(3\)\n1 erreur\(s\), 2 avertissement\(s\)/);
});

test('preview lists what would leave and the anomalies with their cells, in English too', () => {
  const anomalies = [
    {severity: 'error', tab: 'Invoices', cell: 'D7', problem: 'the due date <is> missing', hint: 'type it as 2026-12-01',
     code: 'R101', message: '...'},
    {severity: 'warning', tab: 'Customers', cell: 'C3', problem: 'no e-mail address', hint: 'add one', code: 'R201'},
    {severity: 'warning', tab: 'Settings', cell: '4', problem: 'no rate', hint: '', code: 'R301'},
  ];
  const {script, state} = load({locale: 'en_GB', properties: configured, respond: () => ({status: 200, body: {
    ok: true, action: 'preview', summary: summary({dry_run: true, anomalies,
      actions: [action({status: 'planned', amounts: {EUR: '1234.5', USD: '10'}})]})}})});
  script.relancePreview();
  const [{title, html}] = state.sidebars;
  assert.equal(title, 'Relance — Preview reminders');
  const text = textOf(html);
  assert.match(text, /As of 1 Dec 2026/);
  assert.match(text, /Preview: nothing was sent or written/);
  assert.match(text, /To send \(1\)\ncustomer C1 — invoices F1 — €1,234.50 \+ \$10.00/);
  assert.match(text, /Awaiting approval \(0\)\nNone\./);
  assert.match(text, /Anomalies \(3\)\nInvoices!D7 the due date <is> missing\ntype it as 2026-12-01/);
  assert.match(text, /Customers!C3 no e-mail address/);
  assert.match(text, /Settings, row 4 no rate/);
  assert.ok(html.includes('&lt;is&gt;'));
});

test('the dashboard item says it is done', () => {
  const {script, state} = load({properties: configured, respond: () => ({status: 200,
    body: {ok: true, action: 'dashboard', as_of: '2026-12-01', written: 'dashboard'}})});
  script.relanceDashboard();
  assert.match(textOf(state.sidebars[0].html), /Le tableau de bord est à jour/);
});

test("the function's own error is shown with its message and fix, never a stack", () => {
  const cases = [
    [403, {error: {code: 'not_allowed', message: 'votre compte n’a pas accès à relance', fix: 'demandez <l’accès>'}}],
    [401, {error: {code: 'token_expired', message: 'le jeton est refusé : il a expiré', fix: 'rouvrez la feuille'}}],
    [409, {action: 'send', ok: false, error: {code: 'busy', message: 'une exécution est en cours', fix: 'attendez'}}],
    [422, {action: 'refresh', ok: false, error: {code: 'WorkbookError', message: 'onglet Factures absent', fix: 'ajoutez-le'}}],
  ];
  for (const [status, body] of cases) {
    const {script, state} = load({properties: configured, respond: () => ({status, body})});
    script.relanceRefresh();
    const {html} = state.sidebars[0];
    const text = textOf(html);
    assert.match(text, /relance n’a pas pu le faire/);
    assert.ok(text.includes(body.error.message), text);
    assert.ok(text.includes('Que faire\u00a0: ' + body.error.fix), text);
    assert.ok(!/at \w+ \(|Error:|stack/i.test(text), text);
  }
  const {html} = (() => {
    const {script, state} = load({properties: configured, respond: () => ({status: 403,
      body: {error: {message: 'x', fix: '<b>y</b>'}}})});
    script.relanceRefresh();
    return state.sidebars[0];
  })();
  assert.ok(html.includes('&lt;b&gt;y&lt;/b&gt;'));
});

test('answers without the function\'s JSON are said by their status', () => {
  const cases = [[401, /n’a pas reconnu votre identité \(401\)/], [403, /refuse l’accès à votre compte \(403\)/],
                 [404, /Aucune fonction relance à cette adresse \(404\)/], [500, /a rencontré un problème \(500\)/],
                 [503, /a rencontré un problème \(503\)/], [302, /Réponse inattendue de la fonction relance \(302\)/]];
  for (const [status, said] of cases) {
    const {script, state} = load({properties: configured, respond: () => ({status, body: '<html>Service Unavailable</html>'})});
    script.relancePreview();
    assert.match(textOf(state.sidebars[0].html), said, String(status));
  }
  const {script, state} = load({locale: 'en_US', properties: configured, respond: () => ({status: 502, body: ''})});
  script.relancePreview();
  assert.match(textOf(state.sidebars[0].html), /The relance function met a problem \(502\)[\s\S]*Try again in a few minutes/);
});

test('an unreachable function and a crash in the script are said, never thrown', () => {
  const lost = load({properties: configured, respond: () => new Error('DNS error: https://nowhere')});
  lost.script.relancePreview();
  const text = textOf(lost.state.sidebars[0].html);
  assert.match(text, /La fonction relance est injoignable/);
  assert.ok(!text.includes('DNS error'));
  const broken = load({properties: configured, respond: () => ({status: 200, body: {ok: true, summary: {actions: [null]}}})});
  assert.doesNotThrow(() => broken.script.relancePreview());
  assert.match(textOf(broken.state.sidebars[0].html), /Le menu relance a rencontré un problème/);
});

test('no URL configured: a clear message, nothing fetched', () => {
  for (const properties of [{}, {RELANCE_FUNCTION_URL: '   '}]) {
    const {script, state} = load({properties});
    script.relanceRefresh();
    assert.equal(state.fetches.length, 0);
    const text = textOf(state.sidebars[0].html);
    assert.match(text, /L’adresse de la fonction relance n’est pas configurée/);
    assert.match(text, /Propriétés du script, ajoutez la propriété RELANCE_FUNCTION_URL/);
  }
  const en = load({locale: 'en_US'});
  en.script.relanceSend();
  assert.equal(en.state.alerts.length, 0);  // nothing asked: nothing could be sent
  assert.match(textOf(en.state.sidebars[0].html), /In Extensions > Apps Script > Project Settings > Script Properties/);
});

test('no identity token (the openid scope missing): said, nothing fetched', () => {
  const {script, state} = load({properties: configured, token: null});
  script.relanceDashboard();
  assert.equal(state.fetches.length, 0);
  assert.match(textOf(state.sidebars[0].html), /jeton d’identité Google[\s\S]*openid/);
});

test('help says what each item does and whether the function is configured', () => {
  const bare = load({});
  bare.script.relanceHelp();
  assert.match(textOf(bare.state.sidebars[0].html), /RELANCE_FUNCTION_URL n’est pas encore configurée/);
  const claims = Buffer.from(JSON.stringify({aud: '123-abc.apps.googleusercontent.com', email: 'julie@dumas.example'}))
    .toString('base64url');
  const set = load({locale: 'en_US', properties: configured, token: `eyJhbGciOiJSUzI1NiJ9.${claims}.c2ln`});
  set.script.relanceHelp();
  const text = textOf(set.state.sidebars[0].html);
  assert.match(text, /Signed in as julie@dumas\.example\. This script's OAuth client id \(the function's RELANCE_MENU_AUDIENCE\): 123-abc\.apps\.googleusercontent\.com/);
  assert.ok(text.includes('relance function: ' + URL));
  assert.match(text, /Send now: sends what is due now/);
  assert.equal(set.state.fetches.length, 0);
});

test('the texts are the same in both languages, key for key', () => {
  const {script} = load({});
  const {fr, en} = script.RELANCE_TEXTS;
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
});
