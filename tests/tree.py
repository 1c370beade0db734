"""A fixture tree built at run time: every OpenAI shape in every common file type, plus
placeholders that must not be reported. Returns what a correct scan must find."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.keys import every_openai_shape, random_text

#: file name -> template; `{key}` is replaced by a fresh key, and the key sits on line 3 (1-based)
CONTEXTS: dict[str, str] = {
    ".env": "# settings\nDEBUG=1\nOPENAI_API_KEY={key}\nOTHER=2\n",
    "app.py": 'import openai\n\nclient = openai.OpenAI(api_key="{key}")\n',
    "client.js": "// client\nconst x = 1;\nconst openai = new OpenAI({{ apiKey: '{key}' }});\n",
    "client.ts": "export {{}};\n\nconst apiKey: string = `{key}`;\n",
    "config.yaml": "service:\n  name: demo\n  openai_key: {key}\n",
    "config.json": '{{\n  "name": "demo",\n  "openaiKey": "{key}"\n}}\n',
    "run.sh": "#!/bin/sh\nset -e\nexport OPENAI_API_KEY={key}\n",
    "Dockerfile": "FROM python:3.12\nWORKDIR /app\nENV OPENAI_API_KEY={key}\n",
    "README.md": "# Demo\n\nRun with `OPENAI_API_KEY={key} python app.py`.\n",
    "settings.toml": '[openai]\nmodel = "gpt-4o"\napi_key = "{key}"\n',
    "settings.ini": "[openai]\nmodel = gpt-4o\napi_key = {key}\n",
    "main.go": 'package main\n\nconst apiKey = "{key}"\n',
    "Main.java": 'class Main {{\n  // key\n  static final String KEY = "{key}";\n}}\n',
    "client.rb": "require 'openai'\n\nclient = OpenAI::Client.new(access_token: \"{key}\")\n",
    "client.php": "<?php\n\n$client = OpenAI::client('{key}');\n",
    "notebook.ipynb": (
        '{{\n "cells": [\n  {{"source": ["openai.api_key = \\"{key}\\"\\n"]}}\n ]\n}}\n'
    ),
}

PLACEHOLDERS = """OPENAI_API_KEY=sk-...
OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OPENAI_API_KEY=sk-your-key-here
OPENAI_API_KEY=your-secret-key-goes-here
OPENAI_API_KEY=sk-proj-************************************************
api_key = os.environ["OPENAI_API_KEY"]
api_key: ${OPENAI_API_KEY}
"""


@dataclass(frozen=True)
class Planted:
    path: str
    line: int
    column: int
    rule_id: str
    key: str


def build_tree(root: Path) -> list[Planted]:
    planted: list[Planted] = []
    shapes = every_openai_shape()
    for shape_index, (rule_id, _) in enumerate(shapes):
        directory = root / f"shape{shape_index:02d}"
        directory.mkdir(parents=True)
        for name, template in CONTEXTS.items():
            key = fresh_like(shapes, shape_index)
            text = template.format(key=key)
            (directory / name).write_text(text, encoding="utf-8")
            line_text = text.splitlines()[2]
            planted.append(
                Planted(f"{directory.name}/{name}", 3, line_text.index(key) + 1, rule_id, key)
            )
            if name == ".env":
                # a committed .env is a finding of its own, on its first line
                planted.append(Planted(f"{directory.name}/.env", 1, 1, "dotenv-file", ".env"))
        key = fresh_like(shapes, shape_index)
        crlf = f"first\r\nsecond\r\nKEY={key}\r\nlast\r\n"
        (directory / "windows.env").write_bytes(crlf.encode())
        planted.append(Planted(f"{directory.name}/windows.env", 3, 5, rule_id, key))
        key = fresh_like(shapes, shape_index)
        head = "var a=" + ",".join(f"b{i}={i}" for i in range(700))
        minified = f'{head};var k="{key}";' + random_text(3000) + ";\n"
        (directory / "bundle.min.js").write_text("/* min */\n" + minified, encoding="utf-8")
        planted.append(Planted(f"{directory.name}/bundle.min.js", 2, len(head) + 9, rule_id, key))
    (root / "placeholders.env").write_text(PLACEHOLDERS, encoding="utf-8")
    return planted


def fresh_like(shapes: list[tuple[str, str]], index: int) -> str:
    """A new key of the same shape as shapes[index] (same prefix and lengths)."""
    from tests.keys import OPENAI_SHAPES, openai_key

    _, prefix, length, alphabet = OPENAI_SHAPES[index]
    return openai_key(prefix, length, alphabet)
