// The embed's whole stylesheet, scoped to its shadow root. `:host { all: initial }` cuts every
// inherited property off from the host page (fonts, colors, line height, text transforms...), and
// the host's selectors cannot reach inside a shadow root, so host CSS cannot restyle the widget;
// nothing here can leak out either. The colours are the design tokens of ../ui/tokens.css, which
// the view puts in the shadow root before this sheet.
export const EMBED_CSS = /* css */ `
/* contain: content (layout + paint + style) clips everything inside to the widget's box and makes it
   the containing block of anything positioned, even position: fixed; nothing rendered escapes it. */
:host { all: initial; display: block; contain: content; isolation: isolate; min-height: 320px; height: 100%; }
:host([hidden]) { display: none; }
* , *::before, *::after { box-sizing: border-box; }
.l0-embed {
  all: initial; /* drops whatever the host element inherited from the page, even !important rules */
  direction: ltr; unicode-bidi: isolate; /* the two properties \`all\` leaves alone */
  display: flex; flex-direction: column; height: 100%; min-height: inherit;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--surface);
  border: 1px solid var(--border); border-radius: 10px; overflow: hidden; text-align: left; letter-spacing: normal;
  text-transform: none; font-style: normal; font-weight: 400; word-spacing: normal;
}
header { display: flex; align-items: baseline; gap: 10px; padding: 8px 12px; border-bottom: 1px solid var(--border); background: var(--surface-2); }
.title { font-weight: 600; font-size: 14px; white-space: nowrap; }
form.ask { display: flex; flex-wrap: wrap; gap: 8px; padding: 10px 12px; border-bottom: 1px solid var(--border); align-items: flex-start; }
textarea.task { flex: 1; min-width: 0; resize: vertical; font: inherit; color: var(--text); background: var(--surface); border: 1px solid var(--border); border-radius: 6px; padding: 6px 8px; margin: 0; }
textarea.task:focus-visible, button:focus-visible, summary:focus-visible, pre:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.buttons { display: flex; flex-direction: column; gap: 6px; }
button { font: inherit; font-weight: 600; cursor: pointer; border-radius: 6px; padding: 5px 14px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); margin: 0; }
button.stop { background: transparent; color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
button.link-button { background: none; border: none; color: var(--accent); padding: 2px 0; font-weight: 500; }
.body { flex: 1; overflow-y: auto; padding: 8px 12px 12px; }
.status { margin: 0 0 0 auto; color: var(--muted); font-size: 12px; text-align: right; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.error-box { margin: 0 0 8px; padding: 8px 10px; border-radius: 6px; background: var(--tb-bg); color: var(--danger); white-space: pre-wrap; }
.answer { margin: 0 0 10px; padding: 8px 12px; border: 1px solid var(--ok); border-radius: 8px; }
.answer h2 { margin: 0 0 4px; font-size: 13px; color: var(--ok); text-transform: uppercase; letter-spacing: .04em; }
.markdown p { margin: .4em 0; }
.markdown a { color: var(--accent); }
.markdown code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; background: var(--code-bg); padding: 0 3px; border-radius: 3px; }
/* The sanitiser lets no style, class or positioned element through; :host's containment keeps
   anything that got through inside the widget. (Containing the inner boxes too changes how text is
   rasterised at the host page's sub-pixel offsets.) */
.markdown, .cell-output-wrap, .think-text, .notepad ul { overflow-wrap: anywhere; }
.markdown pre, .markdown table { overflow-x: auto; max-width: 100%; }
.markdown table { display: block; border-collapse: collapse; }
.markdown th, .markdown td { border: 1px solid var(--border); padding: 2px 6px; }
.markdown img { max-width: 100%; max-height: 240px; }
.render-note { color: var(--muted); font-size: 12px; font-style: italic; margin: 0 0 4px; }
.long-text { white-space: pre-wrap; }
.text-chunk { content-visibility: auto; contain-intrinsic-size: auto 30em; }
.long-list > ul.batch { content-visibility: auto; contain-intrinsic-size: auto 800em; }
.show-all { display: block; font-size: 12px; }
.cells { display: flex; flex-direction: column; gap: 8px; }
.cell { border: 1px solid var(--border); border-radius: 8px; padding: 6px 8px; background: var(--surface); }
.cell.running { border-color: var(--accent); }
.cell.error { border-color: var(--danger); }
.cell-header { display: flex; gap: 8px; align-items: baseline; font-size: 12px; color: var(--muted); }
.cell-step { font-weight: 600; color: var(--text); }
.cell-timing { margin-left: auto; font-variant-numeric: tabular-nums; }
.cell-think { margin: 4px 0; font-size: 12px; color: var(--muted); }
.cell-think summary { cursor: pointer; }
.think-text { white-space: pre-wrap; }
pre { margin: 4px 0; padding: 6px 8px; border-radius: 6px; background: var(--code-bg); overflow-x: auto; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }
pre.cell-output { max-height: 220px; overflow-y: auto; border-left: 3px solid var(--border); }
pre.traceback { color: var(--danger); background: var(--tb-bg); }
.cell-packages { margin: 4px 0; font-size: 12px; color: var(--muted); }
.cell-rich { display: flex; flex-direction: column; gap: 6px; margin: 4px 0; }
.rich-html { overflow: auto; max-height: 320px; max-width: 100%; overflow-wrap: normal; font-size: 12px; }
.rich-html table { border-collapse: collapse; }
.rich-html th, .rich-html td { border: 1px solid var(--border); padding: 2px 6px; text-align: right; white-space: nowrap; }
.rich-image { display: block; max-width: 100%; height: auto; background: #fff; border-radius: 4px; }
.rich-text { white-space: pre-wrap; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code-bg); padding: 6px 8px; border-radius: 6px; max-height: 220px; overflow: auto; }
.format-errors { font-size: 12px; color: var(--danger); }
ul.tool-calls { list-style: none; margin: 4px 0; padding: 0; font-size: 12px; color: var(--muted); }
ul.tool-calls li.failed { color: var(--danger); }
ul.tool-calls code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--text); }
.hljs-keyword, .hljs-built_in, .hljs-literal { color: var(--hl-keyword); }
.hljs-string { color: var(--hl-string); }
.hljs-number { color: var(--hl-number); }
.hljs-comment { color: var(--hl-comment); font-style: italic; }
.hljs-title, .hljs-title.function_ { color: var(--hl-title); }
.cell-stats { margin: 2px 0; font-size: 11px; color: var(--muted); text-align: right; }
.cell-actions { display: flex; flex-wrap: wrap; gap: 6px; justify-content: flex-end; margin-top: 4px; }
.cell-actions button, .answer-head button { font-size: 12px; font-weight: 500; padding: 2px 8px; background: transparent; color: var(--accent); }
.copy-button.copied { border-color: var(--ok); color: var(--ok); }
.cell-rerun { border-top: 1px dashed var(--border); margin-top: 4px; padding-top: 4px; }
.rerun-head { margin: 0; font-size: 12px; }
.answer-head { display: flex; align-items: baseline; justify-content: space-between; gap: 8px; }
/* Follow-up questions (ui/question-view.ts, ui/follow-up-box.ts). */
.question { border-left: 3px solid var(--accent); padding: 2px 0 2px 8px; }
.question h2 { margin: 0; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--accent); }
.question-text { font-weight: 600; white-space: pre-wrap; overflow-wrap: anywhere; }
.question-answer { padding: 6px 10px; border: 1px solid var(--ok); border-radius: 8px; }
.question-answer h3 { margin: 0 0 4px; font-size: 12px; color: var(--ok); text-transform: uppercase; letter-spacing: .04em; }
.question-outcome { margin: 0; font-size: 12px; color: var(--muted); }
form.follow-up { margin: 0 0 10px; display: flex; flex-direction: column; gap: 6px; }
.follow-up-label { font-weight: 600; font-size: 13px; }
textarea.follow-up-input { min-width: 0; resize: vertical; font: inherit; color: var(--text); background: var(--surface); border: 1px solid var(--border); border-radius: 6px; padding: 6px 8px; margin: 0; }
textarea.follow-up-input:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.follow-up-check { font-size: 12px; display: flex; align-items: center; gap: 4px; }
.follow-up-actions { display: flex; align-items: center; gap: 8px; }
.follow-up-actions .hint { margin-right: auto; color: var(--muted); font-size: 12px; }
details.notepad-box { margin-top: 10px; border-top: 1px solid var(--border); padding-top: 6px; }
/* Files: the Attach files control, chips, the drop hint, the Files section (ui/file-chips.ts, ui/files-panel.ts). */
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.attach-row { flex-basis: 100%; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.attach-button { display: inline-flex; align-items: center; cursor: pointer; border: 1px solid var(--border); border-radius: 6px; padding: 2px 8px; font-size: 12px; font-weight: 600; color: var(--text); background: var(--surface); }
.attach-input:focus-visible + .attach-button { outline: 2px solid var(--accent); outline-offset: 1px; }
.attach-button.disabled { opacity: .45; cursor: default; }
.file-chips { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
.file-chip { display: inline-flex; align-items: center; gap: 4px; max-width: 100%; border: 1px solid var(--border); background: var(--surface-2); border-radius: 999px; padding: 0 8px; font-size: 12px; }
.file-chip-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 12rem; font-weight: 600; }
.file-chip-size { color: var(--muted); white-space: nowrap; }
button.file-chip-remove { background: none; border: none; color: var(--muted); padding: 0 2px; font-size: 14px; line-height: 1; }
.question .file-chips { margin-top: 4px; }
.question-files { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; font-size: 12px; color: var(--muted); }
.l0-embed.drop-target::after { content: 'Drop files to attach them'; position: absolute; inset: 6px; display: flex; align-items: center; justify-content: center; border: 2px dashed var(--accent); border-radius: 10px; background: var(--surface); opacity: .92; color: var(--accent); font-weight: 600; pointer-events: none; }
.l0-embed { position: relative; }
details.files-box { margin-top: 10px; border-top: 1px solid var(--border); padding-top: 6px; }
details.files-box > summary { cursor: pointer; font-weight: 600; font-size: 13px; }
.files-panel h2 { display: none; }
.files-panel .muted { color: var(--muted); font-size: 12px; }
ul.files { list-style: none; margin: 4px 0 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.file-item { display: flex; flex-direction: column; gap: 2px; padding: 4px 6px; border: 1px solid var(--border); border-radius: 6px; }
.file-item.unavailable { opacity: .7; }
.file-name { font-weight: 600; font-size: 13px; overflow-wrap: anywhere; }
.file-meta, .file-note { font-size: 11px; color: var(--muted); }
.file-note { font-style: italic; }
.file-actions { display: flex; gap: 6px; }
.file-actions button { padding: 2px 8px; font-size: 12px; background: transparent; color: var(--accent); }
.file-preview { max-height: 14rem; overflow: auto; border: 1px dashed var(--border); border-radius: 6px; padding: 4px 6px; font-size: 12px; contain: content; overflow-wrap: anywhere; }
.file-text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; }
details.notepad-box > summary { cursor: pointer; font-weight: 600; font-size: 13px; }
.notepad h2 { font-size: 13px; margin: 6px 0 2px; }
.notepad h3 { font-size: 12px; margin: 8px 0 2px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.notepad ul { margin: 0; padding-left: 18px; }
.notepad ul.todos { list-style: none; padding-left: 0; }
.notepad li.done { color: var(--muted); text-decoration: line-through; }
.notepad .check { margin-right: 6px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
`;
