'use strict';
/**
 * A small fake of the Apps Script services Code.gs uses (SpreadsheetApp, ScriptApp, UrlFetchApp,
 * HtmlService, PropertiesService), and `load()`, which runs Code.gs in a fresh `vm` context with
 * them as globals, as Apps Script's V8 runtime does with a project's files.
 *
 * Everything the script does is recorded: the menus added, the alerts, the sidebars shown, the
 * requests fetched. `respond` answers UrlFetchApp.fetch (a status and a body, or a throw).
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const CODE = path.resolve(__dirname, '..', '..', 'sheet_templates', 'apps_script', 'Code.gs');

class HttpResponse {
  constructor(status, text) {
    this.status = status;
    this.text = text;
  }
  getResponseCode() { return this.status; }
  getContentText() { return this.text; }
}

function load(options = {}) {
  const state = {
    menus: [], alerts: [], sidebars: [], fetches: [],
    locale: options.locale === undefined ? 'fr_FR' : options.locale,
    id: options.id || '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
    token: options.token === undefined ? 'id-token-of-julie' : options.token,
    properties: {...(options.properties || {})},
    answer: options.answer || 'YES',
    respond: options.respond || (() => ({status: 200, body: {ok: true}})),
  };
  const Button = {YES: 'YES', NO: 'NO', OK: 'OK', CLOSE: 'CLOSE'};
  const ButtonSet = {OK: 'OK', OK_CANCEL: 'OK_CANCEL', YES_NO: 'YES_NO', YES_NO_CANCEL: 'YES_NO_CANCEL'};
  const ui = {
    Button, ButtonSet,
    createMenu(name) {
      const menu = {name, items: [], added: false};
      const api = {
        addItem(caption, fn) { menu.items.push({caption, fn}); return api; },
        addSeparator() { menu.items.push({separator: true}); return api; },
        addSubMenu(sub) { menu.items.push({sub}); return api; },
        addToUi() { menu.added = true; state.menus.push(menu); },
      };
      return api;
    },
    alert(title, prompt, buttons) {
      state.alerts.push({title, prompt, buttons});
      return buttons === ButtonSet.YES_NO ? state.answer : Button.OK;
    },
    showSidebar(output) { state.sidebars.push({title: output.title, html: output.html}); },
  };
  const spreadsheet = {
    getId() { return state.id; },
    getSpreadsheetLocale() { return state.locale; },
  };
  const globals = {
    SpreadsheetApp: {getActive: () => spreadsheet, getActiveSpreadsheet: () => spreadsheet, getUi: () => ui},
    ScriptApp: {getIdentityToken: () => state.token},
    PropertiesService: {
      getScriptProperties: () => ({
        getProperty: (key) => (key in state.properties ? state.properties[key] : null),
        setProperty: (key, value) => { state.properties[key] = String(value); },
      }),
    },
    HtmlService: {
      createHtmlOutput(html) {
        const output = {html: String(html), title: '',
          setTitle(t) { output.title = t; return output; },
          getContent() { return output.html; }};
        return output;
      },
    },
    UrlFetchApp: {
      fetch(url, params) {
        const request = {url, params, body: params && params.payload ? JSON.parse(params.payload) : null};
        state.fetches.push(request);
        const reply = state.respond(request);
        if (reply instanceof Error) throw reply;
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        return new HttpResponse(reply.status, text);
      },
    },
    Utilities: {
      base64DecodeWebSafe: (text) => Array.from(Buffer.from(text, 'base64url')),
      newBlob: (bytes) => ({getDataAsString: () => Buffer.from(bytes).toString('utf8')}),
    },
    console,
  };
  const context = vm.createContext(globals);
  vm.runInContext(fs.readFileSync(CODE, 'utf8'), context, {filename: CODE});
  return {script: context, state};
}

/** The text of an HTML fragment (tags dropped, entities decoded), as a person reads it. */
function textOf(html) {
  return html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<br>/g, '\n').replace(/<\/(li|p|h3)>/g, '\n')
    .replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

module.exports = {load, textOf, CODE};
