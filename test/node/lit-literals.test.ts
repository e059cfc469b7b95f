// The build's rewrite of Lit template text (scripts/lit-literals.ts): markup means the same before and after.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minifyHtmlLiterals } from '../../scripts/lit-literals.ts';

const html = (source: string) => minifyHtmlLiterals(source, 'x.ts');

describe('html literals as the build writes them', () => {
  test('plain attribute values lose their quotes; values that need them, or hold a binding, keep them', () => {
    assert.equal(html('html`<button part="button" type="button" aria-hidden="true" step="0.05">x</button>`'), 'html`<button part=button type=button aria-hidden=true step=0.05>x</button>`');
    assert.equal(html('html`<svg viewBox="0 0 24 24"><path d="M9 5a3"></path></svg>`'), 'html`<svg viewBox="0 0 24 24"><path d="M9 5a3"></path></svg>`');
    assert.equal(html('html`<p part="turn ${role}" title="it\'s" class=\'a\'>${x}</p>`'), 'html`<p part="turn ${role}" title="it\'s" class=a>${x}</p>`');
    // A value right before `/>` would take the slash into it unquoted.
    assert.equal(html('html`<input type="range"/>`'), 'html`<input type="range"/>`');
    // Empty values keep their quotes.
    assert.equal(html('html`<option value="">-</option>`'), 'html`<option value="">-</option>`');
  });

  test('a quoted value with bindings in it is kept as written, quotes and spaces included', () => {
    const source = 'html`<button aria-label="${label}\n  ${what}" part="copy">${label}</button>`';
    assert.equal(html(source), 'html`<button aria-label="${label}\n  ${what}" part=copy>${label}</button>`');
  });

  test('whitespace with a line break is formatting: gone between tags and bindings, one space elsewhere', () => {
    const source = `html\`
      <div part="controls">
        <button
          part="button"
          @click=\${onClick}
        >
          \${label}
        </button>
        \${a} \${b}
        Say
        hello
      </div>
    \``;
    assert.equal(html(source), 'html`<div part=controls><button part=button @click=${onClick} >${label}</button>${a} ${b}Say hello</div>`');
  });

  test('whitespace without a line break is content and stays', () => {
    assert.equal(html('html`<b>${who}:</b> ${text} <i>x</i>`'), 'html`<b>${who}:</b> ${text} <i>x</i>`');
  });

  test('nested templates are rewritten; css, other tags and plain strings are not', () => {
    assert.equal(html('html`<ul>${items.map((i) => html`<li part="item">${i}</li>`)}</ul>`'), 'html`<ul>${items.map((i) => html`<li part=item>${i}</li>`)}</ul>`');
    // Edits before and after a nested template, in a template of several lines.
    const outer = `html\`
      <div part="log">
        \${turns.map((turn) => html\`
          <p part="turn">\${turn}</p>
        \`)}
      </div>
    \``;
    assert.equal(html(outer), 'html`<div part=log>${turns.map((turn) => html`<p part=turn>${turn}</p>`)}</div>`');
    const untouched = 'const a = "<b part=\\"x\\">"; svg`<g class="a"></g>`; css`p { }`;';
    assert.equal(html(untouched), untouched);
  });

});
