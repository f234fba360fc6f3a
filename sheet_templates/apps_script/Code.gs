/**
 * The "Relance" menu of a Google Sheets workbook (docs/google-sheets.md, "The Relance menu").
 *
 * Each item posts {action, workbook: "gsheet:<this spreadsheet's id>", lang} to relance's
 * `menu_action` Cloud Function, signed in with the person's Google identity token
 * (ScriptApp.getIdentityToken(): the function checks it and that the person may use relance),
 * and shows the answer in a sidebar, in the sheet's language (its locale: French unless it is
 * English). The function's address is the Script Property RELANCE_FUNCTION_URL. Nothing here
 * reads or writes the sheet's cells: relance does, from the function.
 */

var RELANCE_PROPERTY = 'RELANCE_FUNCTION_URL';

var RELANCE_TEXTS = {
  fr: {
    menu: 'Relance',
    colon: '\u00a0: ',
    refresh: 'Actualiser les retards',
    preview: 'Prévisualiser les relances',
    send: 'Envoyer maintenant',
    dashboard: 'Mettre à jour le tableau de bord',
    help: 'Aide',
    confirmTitle: 'Envoyer les relances maintenant\u00a0?',
    confirmText: 'relance envoie maintenant les relances dues aujourd\u2019hui, même hors de la plage '
      + 'd\u2019envoi habituelle. Aucune relance n\u2019est envoyée deux fois, ni pendant le délai '
      + 'entre deux relances d\u2019un client.',
    cancelled: 'Envoi annulé\u00a0: rien n\u2019a été envoyé.',
    working: 'relance travaille…',
    asOf: 'Au {date}',
    sentTitle: 'Envoyées ({n})',
    wouldSendTitle: 'À envoyer ({n})',
    awaitingTitle: 'En attente de validation ({n})',
    failedTitle: 'Échecs ({n})',
    anomaliesTitle: 'Anomalies ({n})',
    none: 'Aucune.',
    noneToSend: 'Rien à envoyer aujourd\u2019hui.',
    awaitingHint: 'Écrivez «\u00a0oui\u00a0» dans la colonne valider de l\u2019onglet A_valider, puis '
      + 'relancez l\u2019envoi.',
    anomalyCounts: '{errors} erreur(s), {warnings} avertissement(s)\u00a0: l\u2019onglet Anomalies '
      + 'les détaille, cellule par cellule (ou «\u00a0Prévisualiser les relances\u00a0»).',
    deferred: 'Hors de la plage d\u2019envoi\u00a0: rien n\u2019est parti. Prochaine plage\u00a0: {when}.',
    heldBack: '{n} relance(s) au-delà du plafond quotidien\u00a0: elles partiront au prochain envoi.',
    refreshed: 'Les onglets A_valider et Anomalies sont à jour.',
    dashboardDone: 'Le tableau de bord est à jour.',
    previewNote: 'Aperçu\u00a0: rien n\u2019a été envoyé ni écrit.',
    customer: 'client',
    invoices: 'factures',
    step: 'étape',
    row: 'ligne',
    to: 'à',
    errorTitle: 'relance n\u2019a pas pu le faire',
    fixLabel: 'Que faire\u00a0:',
    noUrl: 'L\u2019adresse de la fonction relance n\u2019est pas configurée.',
    noUrlFix: 'Dans Extensions > Apps Script > Paramètres du projet > Propriétés du script, ajoutez '
      + 'la propriété RELANCE_FUNCTION_URL avec l\u2019adresse de la fonction menu_action '
      + '(https://…cloudfunctions.net/relance-menu ou …run.app).',
    noToken: 'Le script n\u2019a pas obtenu votre jeton d\u2019identité Google.',
    noTokenFix: 'Le fichier appsscript.json doit demander les autorisations «\u00a0openid\u00a0» et '
      + '«\u00a0userinfo.email\u00a0»\u00a0; rouvrez la feuille et acceptez-les.',
    unreachable: 'La fonction relance est injoignable.',
    unreachableFix: 'Vérifiez l\u2019adresse RELANCE_FUNCTION_URL dans les propriétés du script, puis '
      + 'réessayez dans quelques minutes.',
    status401: 'La fonction relance n\u2019a pas reconnu votre identité (401).',
    status401Fix: 'Rouvrez la feuille pour obtenir un nouveau jeton, puis réessayez.',
    status403: 'La fonction relance refuse l\u2019accès à votre compte (403).',
    status403Fix: 'Demandez à la personne qui a installé relance de vous autoriser.',
    status404: 'Aucune fonction relance à cette adresse (404).',
    status404Fix: 'Vérifiez la propriété RELANCE_FUNCTION_URL du script.',
    status5xx: 'La fonction relance a rencontré un problème ({status}).',
    status5xxFix: 'Réessayez dans quelques minutes\u00a0: aucune relance n\u2019est envoyée deux fois. '
      + 'Si cela persiste, consultez les journaux de la fonction.',
    statusOther: 'Réponse inattendue de la fonction relance ({status}).',
    statusOtherFix: 'Vérifiez la propriété RELANCE_FUNCTION_URL du script.',
    internal: 'Le menu relance a rencontré un problème\u00a0: {message}',
    internalFix: 'Réessayez\u00a0; si cela persiste, rouvrez la feuille.',
    helpTitle: 'Aide',
    helpIntro: 'relance envoie les relances de vos factures impayées à partir de cette feuille\u00a0: '
      + 'vos onglets Factures, Clients et Reglements ne sont jamais modifiés.',
    helpRefresh: 'recalcule les retards et ce qui est à envoyer\u00a0; met à jour A_valider et Anomalies.',
    helpPreview: 'montre ce qui partirait aujourd\u2019hui, sans rien envoyer ni écrire.',
    helpSend: 'envoie maintenant ce qui est dû (après confirmation)\u00a0; jamais deux fois la même relance.',
    helpDashboard: 'met à jour l\u2019onglet Tableau_de_bord.',
    helpConfigured: 'Fonction relance\u00a0: {url}',
    helpNotConfigured: 'La propriété RELANCE_FUNCTION_URL n\u2019est pas encore configurée.',
    helpDocs: 'Le guide complet\u00a0: docs/google-sheets.md dans le dépôt de relance.',
    helpIdentity: 'Connecté en tant que {email}. Identifiant client OAuth de ce script (la valeur de '
      + 'RELANCE_MENU_AUDIENCE de la fonction)\u00a0: {audience}'
  },
  en: {
    menu: 'Relance',
    colon: ': ',
    refresh: 'Refresh aging',
    preview: 'Preview reminders',
    send: 'Send now',
    dashboard: 'Update dashboard',
    help: 'Help',
    confirmTitle: 'Send the reminders now?',
    confirmText: 'relance now sends the reminders due today, even outside the usual send window. '
      + 'No reminder is ever sent twice, nor inside a customer\'s cooldown.',
    cancelled: 'Cancelled: nothing was sent.',
    working: 'relance is working…',
    asOf: 'As of {date}',
    sentTitle: 'Sent ({n})',
    wouldSendTitle: 'To send ({n})',
    awaitingTitle: 'Awaiting approval ({n})',
    failedTitle: 'Failed ({n})',
    anomaliesTitle: 'Anomalies ({n})',
    none: 'None.',
    noneToSend: 'Nothing to send today.',
    awaitingHint: 'Write "yes" in the approve column of the Plan tab, then send again.',
    anomalyCounts: '{errors} error(s), {warnings} warning(s): the Anomalies tab lists them cell by cell '
      + '(or "Preview reminders").',
    deferred: 'Outside the send window: nothing left. Next window: {when}.',
    heldBack: '{n} reminder(s) beyond the daily cap: they go with the next send.',
    refreshed: 'The Plan and Anomalies tabs are up to date.',
    dashboardDone: 'The dashboard is up to date.',
    previewNote: 'Preview: nothing was sent or written.',
    customer: 'customer',
    invoices: 'invoices',
    step: 'step',
    row: 'row',
    to: 'to',
    errorTitle: 'relance could not do it',
    fixLabel: 'What to do:',
    noUrl: 'The address of the relance function is not configured.',
    noUrlFix: 'In Extensions > Apps Script > Project Settings > Script Properties, add the property '
      + 'RELANCE_FUNCTION_URL with the address of the menu_action function '
      + '(https://…cloudfunctions.net/relance-menu or …run.app).',
    noToken: 'The script did not get your Google identity token.',
    noTokenFix: 'appsscript.json must ask for the "openid" and "userinfo.email" permissions; reopen the '
      + 'sheet and accept them.',
    unreachable: 'The relance function cannot be reached.',
    unreachableFix: 'Check the RELANCE_FUNCTION_URL script property, then try again in a few minutes.',
    status401: 'The relance function did not recognise you (401).',
    status401Fix: 'Reopen the sheet to get a fresh token, then try again.',
    status403: 'The relance function refuses your account (403).',
    status403Fix: 'Ask whoever installed relance to let you in.',
    status404: 'No relance function at that address (404).',
    status404Fix: 'Check the RELANCE_FUNCTION_URL script property.',
    status5xx: 'The relance function met a problem ({status}).',
    status5xxFix: 'Try again in a few minutes: no reminder is ever sent twice. If it goes on, read '
      + 'the function\'s logs.',
    statusOther: 'Unexpected answer from the relance function ({status}).',
    statusOtherFix: 'Check the RELANCE_FUNCTION_URL script property.',
    internal: 'The relance menu met a problem: {message}',
    internalFix: 'Try again; if it goes on, reopen the sheet.',
    helpTitle: 'Help',
    helpIntro: 'relance sends the reminders of your unpaid invoices from this sheet: your Invoices, '
      + 'Customers and Payments tabs are never modified.',
    helpRefresh: 'works out the days overdue and what is due; updates the Plan and Anomalies tabs.',
    helpPreview: 'shows what would leave today, sending and writing nothing.',
    helpSend: 'sends what is due now (after a confirmation); never the same reminder twice.',
    helpDashboard: 'updates the Dashboard tab.',
    helpConfigured: 'relance function: {url}',
    helpNotConfigured: 'The RELANCE_FUNCTION_URL property is not configured yet.',
    helpDocs: 'The full guide: docs/google-sheets.md in relance\'s repository.',
    helpIdentity: 'Signed in as {email}. This script\'s OAuth client id (the function\'s '
      + 'RELANCE_MENU_AUDIENCE): {audience}'
  }
};

/** The menu, built when the spreadsheet opens (a simple trigger: no authorisation needed). */
function onOpen(e) {
  var t = relanceTexts_(relanceLang_());
  SpreadsheetApp.getUi()
    .createMenu(t.menu)
    .addItem(t.refresh, 'relanceRefresh')
    .addItem(t.preview, 'relancePreview')
    .addSeparator()
    .addItem(t.send, 'relanceSend')
    .addSeparator()
    .addItem(t.dashboard, 'relanceDashboard')
    .addItem(t.help, 'relanceHelp')
    .addToUi();
}

/** Also build the menu when the script is installed from the editor (Run > onInstall). */
function onInstall(e) {
  onOpen(e);
}

function relanceRefresh() { relanceRun_('refresh'); }

function relancePreview() { relanceRun_('preview'); }

function relanceDashboard() { relanceRun_('dashboard'); }

/** "Send now" sends only once the person has said yes. */
function relanceSend() {
  var lang = relanceLang_();
  var t = relanceTexts_(lang);
  var ui = SpreadsheetApp.getUi();
  if (!relanceFunctionUrl_()) {  // said before asking: nothing could be sent anyway
    relanceRun_('send', lang);
    return;
  }
  if (ui.alert(t.confirmTitle, t.confirmText, ui.ButtonSet.YES_NO) !== ui.Button.YES) {
    relanceShow_(t.send, '<p>' + relanceEscape_(t.cancelled) + '</p>');
    return;
  }
  relanceRun_('send', lang);
}

function relanceHelp() {
  var t = relanceTexts_(relanceLang_());
  var url = relanceFunctionUrl_();
  var item = function (label, text) {
    return '<li><b>' + relanceEscape_(label) + '</b>' + t.colon + relanceEscape_(text) + '</li>';
  };
  var html = '<p>' + relanceEscape_(t.helpIntro) + '</p><ul>'
    + item(t.refresh, t.helpRefresh) + item(t.preview, t.helpPreview)
    + item(t.send, t.helpSend) + item(t.dashboard, t.helpDashboard) + '</ul>'
    + '<p>' + relanceEscape_(url ? relanceFill_(t.helpConfigured, {url: url}) : t.helpNotConfigured)
    + '</p>';
  var who = relanceIdentity_();
  if (who) {
    html += '<p>' + relanceEscape_(relanceFill_(t.helpIdentity, who)) + '</p>';
  }
  html += '<p>' + relanceEscape_(t.helpDocs) + '</p>';
  relanceShow_(t.helpTitle, html);
}

/**
 * Who the identity token says the person is, and its audience (the script's OAuth client id,
 * which the function must be told: RELANCE_MENU_AUDIENCE). Read from the token's payload, not
 * verified: shown to help the installation, never trusted (the function verifies the token).
 */
function relanceIdentity_() {
  try {
    var part = String(ScriptApp.getIdentityToken() || '').split('.')[1];
    if (!part) {
      return null;
    }
    while (part.length % 4) {
      part += '=';
    }
    var claims = JSON.parse(Utilities.newBlob(Utilities.base64DecodeWebSafe(part)).getDataAsString());
    return {email: String(claims.email || '?'), audience: String(claims.aud || '?')};
  } catch (err) {
    return null;
  }
}

/** One menu action: call the function, show its answer; never a stack, whatever happens. */
function relanceRun_(action, lang) {
  lang = lang || relanceLang_();
  var t = relanceTexts_(lang);
  var html;
  try {
    html = relanceRender_(action, relanceCall_(action, lang), t, lang);
  } catch (err) {
    html = relanceErrorHtml_({message: relanceFill_(t.internal, {message: String((err && err.message) || err)}),
                              fix: t.internalFix}, t);
  }
  relanceShow_(t[action], html);
}

/** What the function answered, as {ok, status, data} or {ok: false, message, fix}. */
function relanceCall_(action, lang) {
  var t = relanceTexts_(lang);
  var url = relanceFunctionUrl_();
  if (!url) {
    return {ok: false, status: 0, message: t.noUrl, fix: t.noUrlFix};
  }
  var token = ScriptApp.getIdentityToken();
  if (!token) {
    return {ok: false, status: 0, message: t.noToken, fix: t.noTokenFix};
  }
  var body = {action: action, workbook: 'gsheet:' + SpreadsheetApp.getActive().getId(), lang: lang};
  var response;
  try {
    response = UrlFetchApp.fetch(url, {
      method: 'post',
      contentType: 'application/json',
      headers: {Authorization: 'Bearer ' + token, 'Accept-Language': lang},
      payload: JSON.stringify(body),
      muteHttpExceptions: true,
      followRedirects: false
    });
  } catch (err) {  // DNS, refused connection, timeout: UrlFetchApp throws
    return {ok: false, status: 0, message: t.unreachable, fix: t.unreachableFix};
  }
  var status = response.getResponseCode();
  var data = null;
  try {
    data = JSON.parse(response.getContentText());
  } catch (err) {
    data = null;
  }
  if (status >= 200 && status < 300 && data && data.ok !== false) {
    return {ok: true, status: status, data: data};
  }
  if (data && data.error && data.error.message) {  // the function's own words, in our language
    return {ok: false, status: status, message: String(data.error.message),
            fix: String(data.error.fix || '')};
  }
  var key = status === 401 ? 'status401' : status === 403 ? 'status403' : status === 404 ? 'status404'
    : status >= 500 ? 'status5xx' : 'statusOther';
  return {ok: false, status: status, message: relanceFill_(t[key], {status: status}), fix: t[key + 'Fix']};
}

/** The sidebar's body for an answer. */
function relanceRender_(action, result, t, lang) {
  if (!result.ok) {
    return relanceErrorHtml_(result, t);
  }
  var data = result.data;
  var parts = [];
  var summary = data.summary || {};
  var asOf = data.as_of || summary.as_of;
  if (asOf) {
    parts.push('<p class="as-of">' + relanceEscape_(relanceFill_(t.asOf, {date: relanceDate_(asOf, lang)})) + '</p>');
  }
  if (action === 'dashboard') {
    parts.push('<p>' + relanceEscape_(t.dashboardDone) + '</p>');
    return parts.join('');
  }
  var actions = summary.actions || [];
  var having = function (status) {
    return actions.filter(function (a) { return a.status === status; });
  };
  if (action === 'send') {
    var sent = having('sent');
    parts.push(relanceList_(relanceFill_(t.sentTitle, {n: sent.length}), sent, t, lang,
                            sent.length ? '' : t.noneToSend, 'sent'));
    var failed = having('failed');
    if (failed.length) {
      parts.push(relanceList_(relanceFill_(t.failedTitle, {n: failed.length}), failed, t, lang, '', 'failed'));
    }
    if (summary.deferred) {
      parts.push('<p>' + relanceEscape_(relanceFill_(t.deferred, {when: summary.next_window || ''})) + '</p>');
    }
    if (summary.held_back) {
      parts.push('<p>' + relanceEscape_(relanceFill_(t.heldBack, {n: summary.held_back})) + '</p>');
    }
  } else {
    if (action === 'preview') {
      parts.push('<p>' + relanceEscape_(t.previewNote) + '</p>');
    } else {
      parts.push('<p>' + relanceEscape_(t.refreshed) + '</p>');
    }
    var planned = actions.filter(function (a) { return a.status !== 'awaiting_approval'; });
    parts.push(relanceList_(relanceFill_(t.wouldSendTitle, {n: planned.length}), planned, t, lang,
                            planned.length ? '' : t.noneToSend, 'planned'));
  }
  var awaiting = having('awaiting_approval');
  parts.push(relanceList_(relanceFill_(t.awaitingTitle, {n: awaiting.length}), awaiting, t, lang,
                          t.none, 'awaiting'));
  if (awaiting.length) {
    parts.push('<p class="hint">' + relanceEscape_(t.awaitingHint) + '</p>');
  }
  parts.push(relanceAnomalies_(summary.anomalies, t));
  return parts.join('');
}

function relanceList_(title, actions, t, lang, empty, kind) {
  var html = '<h3 class="' + kind + '">' + relanceEscape_(title) + '</h3>';
  if (!actions.length) {
    return html + (empty ? '<p>' + relanceEscape_(empty) + '</p>' : '');
  }
  var items = actions.map(function (a) {
    var amounts = Object.keys(a.amounts || {}).map(function (c) { return relanceMoney_(a.amounts[c], c, lang); });
    var line = t.customer + ' ' + a.customer_id + ' — ' + t.invoices + ' ' + (a.invoice_ids || []).join(', ')
      + (amounts.length ? ' — ' + amounts.join(' + ') : '')
      + ' — ' + t.step + ' ' + a.step + (a.recipient ? ' — ' + t.to + ' ' + a.recipient : '');
    return '<li>' + relanceEscape_(line) + '</li>';
  });
  return html + '<ul>' + items.join('') + '</ul>';
}

/** Anomalies: a list with their cells (refresh, preview), or the counts (a send's answer). */
function relanceAnomalies_(anomalies, t) {
  if (anomalies && !Array.isArray(anomalies)) {
    var n = (anomalies.errors || 0) + (anomalies.warnings || 0);
    var title = '<h3 class="anomalies">' + relanceEscape_(relanceFill_(t.anomaliesTitle, {n: n})) + '</h3>';
    return title + '<p>' + relanceEscape_(n ? relanceFill_(t.anomalyCounts, anomalies) : t.none) + '</p>';
  }
  var list = anomalies || [];
  var html = '<h3 class="anomalies">' + relanceEscape_(relanceFill_(t.anomaliesTitle, {n: list.length})) + '</h3>';
  if (!list.length) {
    return html + '<p>' + relanceEscape_(t.none) + '</p>';
  }
  var items = list.map(function (a) {
    var cell = String(a.cell || '');
    var where = !a.tab ? '' : /^[A-Z]+[0-9]+$/i.test(cell) ? a.tab + '!' + cell
      : /^[0-9]+$/.test(cell) ? a.tab + ', ' + t.row + ' ' + cell : a.tab + (cell ? ' ' + cell : '');
    return '<li class="' + (a.severity === 'error' ? 'error' : 'warning') + '">'
      + (where ? '<b>' + relanceEscape_(where) + '</b> ' : '')
      + relanceEscape_(a.problem || a.message || '')
      + (a.hint ? '<br><i>' + relanceEscape_(a.hint) + '</i>' : '') + '</li>';
  });
  return html + '<ul>' + items.join('') + '</ul>';
}

function relanceErrorHtml_(result, t) {
  return '<div class="error"><h3>' + relanceEscape_(t.errorTitle) + '</h3><p>' + relanceEscape_(result.message)
    + '</p>' + (result.fix ? '<p><b>' + relanceEscape_(t.fixLabel) + '</b> ' + relanceEscape_(result.fix) + '</p>' : '')
    + '</div>';
}

function relanceShow_(title, body) {
  var style = '<style>body{font-family:Arial,sans-serif;font-size:13px}h3{margin:12px 0 4px}'
    + 'ul{padding-left:18px}.error h3,li.error{color:#b00020}.hint,.as-of{color:#555}</style>';
  var output = HtmlService.createHtmlOutput(style + body).setTitle('Relance — ' + title);
  SpreadsheetApp.getUi().showSidebar(output);
}

/** The sheet's language: its locale (File > Settings), French unless it is English. */
function relanceLang_() {
  var locale = '';
  try {
    locale = String(SpreadsheetApp.getActive().getSpreadsheetLocale() || '');
  } catch (err) {
    locale = '';
  }
  return /^en/i.test(locale) ? 'en' : 'fr';
}

function relanceTexts_(lang) {
  return RELANCE_TEXTS[lang] || RELANCE_TEXTS.fr;
}

function relanceFunctionUrl_() {
  return String(PropertiesService.getScriptProperties().getProperty(RELANCE_PROPERTY) || '').trim();
}

function relanceFill_(text, values) {
  return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
    return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
  });
}

function relanceEscape_(value) {
  return String(value === null || value === undefined ? '' : value)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** An ISO date as the sheet's people read it: 01/12/2026 (fr), 1 Dec 2026 (en). */
function relanceDate_(iso, lang) {
  var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso));
  if (!m) {
    return String(iso);
  }
  if (lang === 'fr') {
    return m[3] + '/' + m[2] + '/' + m[1];
  }
  var months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return Number(m[3]) + ' ' + months[Number(m[2]) - 1] + ' ' + m[1];
}

/** An amount as the function sends it ("1234.5", a decimal string): 1 234,50 € (fr), €1,234.50 (en). */
function relanceMoney_(amount, currency, lang) {
  var m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(amount));
  if (!m) {
    return String(amount) + ' ' + currency;
  }
  var cents = ((m[3] || '') + '00').slice(0, 2);
  var group = lang === 'fr' ? '\u202f' : ',';
  var whole = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, group);
  var symbols = {EUR: '€', USD: '$', GBP: '£'};
  var symbol = symbols[currency];
  if (lang === 'fr') {
    return m[1] + whole + ',' + cents + '\u00a0' + (symbol || currency);
  }
  return m[1] + (symbol || currency + '\u00a0') + whole + '.' + cents;
}
