"""Reads a JSON list of notepad states on stdin, prints the JSON list of their repr(notepad), as
the sandbox runtime renders them (test/unit/python-runtime.test.ts compares with renderNotepad)."""
import json
import sys

from runtime_loader import load_runtime

rt, _host = load_runtime()
out = []
for state in json.load(sys.stdin):
    rt.set_notepad_json(json.dumps(state))
    out.append(repr(rt.notepad))
sys.stdout.write(json.dumps(out, ensure_ascii=True))
