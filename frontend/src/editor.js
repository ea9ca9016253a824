// The code editor for the child's pages: CodeMirror 6 with Python, nothing more.
// Built by build.mjs into ONE file, static/vendor/editor.min.js, exposing a single
// global `CodeKidsEditor` so the page scripts (plain ES5, no modules) can use it.
// Kept lean on purpose: the whole exercise page must stay under 250 KB compressed,
// so no autocompletion pop-ups, search panel or lint panel (also less to confuse a child).
import { EditorState, StateEffect, StateField, RangeSet } from "@codemirror/state";
import {
  EditorView,
  Decoration,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
  highlightSpecialChars,
  gutter,
  GutterMarker,
} from "@codemirror/view";
import {
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab,
} from "@codemirror/commands";
import {
  LanguageSupport,
  indentOnInput,
  indentUnit,
  bracketMatching,
  syntaxHighlighting,
  defaultHighlightStyle,
} from "@codemirror/language";
// pythonLanguage alone, not python(): python() pulls in @codemirror/autocomplete.
import { pythonLanguage } from "@codemirror/lang-python";

// --- the friendly error's line: a red background and a "!" in the gutter -------
const setErrorLine = StateEffect.define();

const errorLineMark = Decoration.line({ class: "cm-ck-error-line" });

class ErrorMarker extends GutterMarker {
  toDOM() {
    const span = document.createElement("span");
    span.className = "cm-ck-error-marker";
    span.setAttribute("aria-hidden", "true");
    span.textContent = "!";
    return span;
  }
}
const errorMarker = new ErrorMarker();

// The field holds the line's start position (or -1) and moves it with edits;
// any edit of that line clears it, since the child is fixing it.
const errorLineField = StateField.define({
  create() {
    return -1;
  },
  update(pos, tr) {
    for (const e of tr.effects) if (e.is(setErrorLine)) return e.value;
    if (pos >= 0 && tr.docChanged) {
      const line = tr.startState.doc.lineAt(pos);
      let touched = false;
      tr.changes.iterChangedRanges((fromA, toA) => {
        if (fromA <= line.to && toA >= line.from) touched = true;
      });
      return touched ? -1 : tr.changes.mapPos(pos);
    }
    return pos;
  },
  provide: (field) => [
    EditorView.decorations.from(field, (pos) =>
      pos < 0 ? Decoration.none : Decoration.set([errorLineMark.range(pos)]),
    ),
  ],
});

const errorGutter = gutter({
  class: "cm-ck-error-gutter",
  markers: (view) => {
    const pos = view.state.field(errorLineField);
    return pos < 0 ? RangeSet.empty : RangeSet.of([errorMarker.range(pos)]);
  },
  initialSpacer: () => errorMarker,
});

function create(textarea, options) {
  const opts = options || {};
  const onChange = opts.onChange || null;
  const contentAttrs = { "aria-multiline": "true" };
  if (opts.label) contentAttrs["aria-label"] = opts.label;
  if (opts.describedBy) contentAttrs["aria-describedby"] = opts.describedBy;

  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        errorGutter,
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        new LanguageSupport(pythonLanguage),
        errorLineField,
        // Tab indents (what a child expects in Python). Escape then Tab leaves the
        // editor: CodeMirror's built-in escape hatch, announced on the page.
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of(contentAttrs),
        // The page's Content-Security-Policy allows only <style> elements with
        // this request's nonce: CodeMirror's own styles must carry it.
        EditorView.cspNonce.of(opts.nonce || ""),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const text = update.state.doc.toString();
          textarea.value = text; // the no-JS form field stays the source of truth
          if (onChange) onChange(text);
        }),
      ],
    }),
  });
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  textarea.style.display = "none";
  textarea.setAttribute("aria-hidden", "true");
  textarea.tabIndex = -1;

  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focus: () => view.focus(),
    // Highlight line n (1-based) as the friendly error's line; null/0 clears it.
    markErrorLine(n) {
      const doc = view.state.doc;
      if (!n || n < 1 || n > doc.lines) {
        view.dispatch({ effects: setErrorLine.of(-1) });
        return false;
      }
      const line = doc.line(n);
      view.dispatch({
        effects: [setErrorLine.of(line.from), EditorView.scrollIntoView(line.from, { y: "center" })],
      });
      return true;
    },
    clearErrorLine() {
      view.dispatch({ effects: setErrorLine.of(-1) });
    },
    // Font size changes the line height; tell CodeMirror to measure again.
    refresh: () => view.requestMeasure(),
    destroy() {
      view.destroy();
      textarea.style.display = "";
      textarea.removeAttribute("aria-hidden");
      textarea.removeAttribute("tabindex");
    },
  };
}

window.CodeKidsEditor = { create, version: "1" };
