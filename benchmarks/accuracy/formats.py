"""Realistic files of many languages and formats, each holding one `name = value` assignment.

A renderer writes the value the way that format would hold it (quoted, escaped, as a block for
multi-line values) between lines of ordinary content, and returns the file's name and text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from filler import (
    WORDS,
    Words,
    go_lines,
    ini_lines,
    java_lines,
    js_lines,
    php_lines,
    prose,
    python_lines,
    ruby_lines,
    shell_lines,
    yaml_lines,
)

Renderer = Callable[[Words, str, str], tuple[str, str]]


def ident(name: str) -> str:
    """The name as an identifier of a programming language."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else "_" + cleaned


def camel(name: str) -> str:
    first, *rest = [part for part in ident(name).lower().split("_") if part] or ["value"]
    return first + "".join(part.capitalize() for part in rest)


def c_string(value: str) -> str:
    """A double-quoted literal with C-style escapes (Go, Java, C#, JS, PHP double quotes)."""
    return json.dumps(value)


def python(w: Words, name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        line = f'{ident(name).upper()} = """{value}"""\n'
    else:
        line = w.rng.choice(
            [
                f'{ident(name).upper()} = "{value}"\n',
                f'SETTINGS = {{\n    "{name}": "{value}",\n    "timeout": {w.number()},\n}}\n',
                f'os.environ.setdefault("{ident(name).upper()}", "{value}")\n',
            ]
        )
    head = f'"""{w.sentence()}."""\n\nimport os\n\n'
    return f"{w.snake()}.py", head + python_lines(w) + line + "\n\n" + python_lines(w)


def javascript(w: Words, name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        line = f"const {camel(name)} = `{value}`;\n"
    else:
        line = w.rng.choice(
            [
                f"const {camel(name)} = '{value}';\n",
                f'export const config = {{\n  {camel(name)}: "{value}",\n  retries: 3,\n}};\n',
                f'const {camel(name)} = process.env.{ident(name).upper()} || "{value}";\n',
            ]
        )
    ext = w.rng.choice(["js", "ts", "mjs"])
    head = f"import {{ {w.camel()} }} from './{w.word()}';\n\n"
    return f"{w.camel()}.{ext}", head + js_lines(w) + line + "\n" + js_lines(w)


def golang(w: Words, name: str, value: str) -> tuple[str, str]:
    literal = f"`{value}`" if "\n" in value or '"' in value else c_string(value)
    line = w.rng.choice(
        [
            f"const {camel(name)} = {literal}\n",
            f"var defaultConfig = Config{{\n\t{camel(name).capitalize()}: {literal},\n"
            f"\tTimeout: {w.number()},\n}}\n",
        ]
    )
    head = f'package {w.word()}\n\nimport (\n\t"context"\n\t"errors"\n)\n\n'
    return f"{w.snake()}.go", head + line + "\n" + go_lines(w) + go_lines(w)


def java(w: Words, name: str, value: str) -> tuple[str, str]:
    literal = f'"""\n{value}"""' if "\n" in value else c_string(value)
    line = w.rng.choice(
        [
            f"    private static final String {ident(name).upper()} = {literal};\n\n",
            f'    private final Map<String, String> props = Map.of("{name}", {literal});\n\n',
        ]
    )
    cls = w.pascal()
    head = f"package com.acme.{w.word()};\n\nimport java.util.Map;\n\npublic class {cls} {{\n"
    return f"{cls}.java", head + line + java_lines(w) + "}\n"


def csharp(w: Words, name: str, value: str) -> tuple[str, str]:
    literal = '@"' + value.replace('"', '""') + '"' if "\n" in value else c_string(value)
    prop = camel(name)[:1].upper() + camel(name)[1:]
    line = w.rng.choice(
        [
            f"        private const string {prop} = {literal};\n",
            f"        public string {prop} {{ get; set; }} = {literal};\n",
        ]
    )
    cls = w.pascal()
    body = (
        f"        public int {w.pascal()}(string {w.word()}) => {w.word()}.Length + {w.number()};\n"
    )
    head = f"using System;\n\nnamespace Acme.{w.pascal()}\n{{\n    public class {cls}\n    {{\n"
    return f"{cls}.cs", head + line + body + "    }\n}\n"


def ruby(w: Words, name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        indented = value.replace("\n", "\n    ")
        line = f"  {ident(name).upper()} = <<~KEY\n    {indented}\n  KEY\n"
    else:
        line = w.rng.choice(
            [
                f"  {ident(name).upper()} = '{value}'\n",
                f'  config.{ident(name).lower()} = "{value}"\n',
                f"  DEFAULTS = {{ {ident(name).lower()}: '{value}', timeout: {w.number()} }}\n",
            ]
        )
    head = f"# frozen_string_literal: true\n\nclass {w.pascal()}\n"
    return f"{w.snake()}.rb", head + line + "\n" + ruby_lines(w) + "end\n"


def php(w: Words, name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        line = f"    const {ident(name).upper()} = <<<'KEY'\n{value}\nKEY;\n"
    else:
        line = w.rng.choice(
            [
                f"    private ${camel(name)} = '{value}';\n",
                f"    const CONFIG = ['{name}' => '{value}', 'timeout' => {w.number()}];\n",
            ]
        )
    cls = w.pascal()
    head = f"<?php\n\nnamespace App\\{w.pascal()};\n\nclass {cls}\n{{\n"
    return f"{cls}.php", head + line + "\n" + php_lines(w) + "}\n"


def yaml(w: Words, name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        block = value.replace("\n", "\n    ")
        line = f"{w.word()}:\n  {name}: |\n    {block}\n"
    else:
        line = w.rng.choice(
            [f"{w.word()}:\n  {name}: {value}\n", f'{w.word()}:\n  {name}: "{value}"\n']
        )
    return f"{w.word()}.{w.rng.choice(['yaml', 'yml'])}", yaml_lines(w) + line + yaml_lines(w)


def json_file(w: Words, name: str, value: str) -> tuple[str, str]:
    first, second, third = w.rng.sample(sorted(set(WORDS)), 3)
    document = {
        first: {w.word(): w.number(), w.snake(): True},
        second: {name: value, "region": w.word()},
        third: [w.word(), w.word()],
    }
    return f"{w.word()}.json", json.dumps(document, indent=2) + "\n"


def toml(w: Words, name: str, value: str) -> tuple[str, str]:
    literal = f'"""\n{value}"""' if "\n" in value else c_string(value)
    text = (
        f'[{w.word()}]\nname = "{w.word()}"\nport = {w.number()}\n\n'
        f"[{w.word()}]\n{name} = {literal}\nenabled = true\n"
    )
    return f"{w.word()}.toml", text


def ini(w: Words, name: str, value: str) -> tuple[str, str]:
    shown = value.replace("\n", "\n    ")
    text = ini_lines(w) + f"[{w.word()}]\n{name} = {shown}\n\n" + ini_lines(w)
    return f"{w.word()}.{w.rng.choice(['ini', 'cfg', 'conf'])}", text


def dotenv(w: Words, name: str, value: str) -> tuple[str, str]:
    shown = value.replace("\n", "\\n")
    line = w.rng.choice([f"{ident(name).upper()}={shown}\n", f'{ident(name).upper()}="{shown}"\n'])
    text = f"{w.upper()}={w.word()}\n{w.upper()}={w.number()}\n{line}{w.upper()}=true\n"
    return w.rng.choice([".env", ".env.production", ".env.local"]), text


def shell(w: Words, name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        line = f"cat > \"$HOME/.{w.word()}\" <<'EOF'\n{value}\nEOF\n"
    else:
        line = w.rng.choice(
            [
                f'export {ident(name).upper()}="{value}"\n',
                f"{ident(name).upper()}='{value}' ./run-{w.word()}.sh\n",
            ]
        )
    return f"{w.word()}.sh", "#!/bin/sh\nset -eu\n\n" + shell_lines(w) + line + shell_lines(w)


def dockerfile(w: Words, name: str, value: str) -> tuple[str, str]:
    shown = value.replace("\n", "\\n")
    line = w.rng.choice(
        [f"ENV {ident(name).upper()}={shown}\n", f'ARG {ident(name).upper()}="{shown}"\n']
    )
    text = (
        f"FROM python:3.12-slim\n\nWORKDIR /srv/{w.word()}\nCOPY . .\n"
        f"RUN pip install --no-cache-dir -r requirements.txt\n{line}"
        f'EXPOSE {w.number()}\nCMD ["python", "-m", "{w.word()}"]\n'
    )
    return "Dockerfile", text


def xml(w: Words, name: str, value: str) -> tuple[str, str]:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    if "\n" in value:
        line = f"    <{ident(name)}>{escaped}</{ident(name)}>\n"
    else:
        line = w.rng.choice(
            [
                f'    <add key="{name}" value="{escaped}" />\n',
                f"    <{ident(name)}>{escaped}</{ident(name)}>\n",
            ]
        )
    text = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n'
        f'    <add key="{w.word()}" value="{w.number()}" />\n{line}'
        f'    <add key="{w.word()}" value="{w.host()}" />\n</configuration>\n'
    )
    return f"{w.word()}.{w.rng.choice(['xml', 'config'])}", text


def terraform(w: Words, name: str, value: str) -> tuple[str, str]:
    # the name on the value's line, as in `locals` or a provider block (a variable's `default`
    # puts it on another line, where only a generic rule could see it)
    literal = f"<<EOT\n{value}\nEOT" if "\n" in value else c_string(value)
    text = (
        f'resource "aws_instance" "{w.word()}" {{\n  ami           = "ami-{w.number()}"\n'
        f'  instance_type = "t3.micro"\n}}\n\n'
        f'locals {{\n  region = "{w.word()}"\n  {ident(name).lower()} = {literal}\n}}\n'
    )
    return f"{w.word()}.tf", text


def markdown(w: Words, name: str, value: str) -> tuple[str, str]:
    text = (
        f"# {w.sentence()}\n\n{prose(w)}## Setup\n\n{prose(w)}"
        f'```sh\nexport {ident(name).upper()}="{value}"\n```\n\n{prose(w)}'
    )
    return f"{w.word()}.md", text


def notebook(w: Words, name: str, value: str) -> tuple[str, str]:
    def cell(source: str, kind: str = "code") -> dict[str, object]:
        lines = source.splitlines(keepends=True)
        out: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": lines}
        if kind == "code":
            out.update(execution_count=None, outputs=[])
        return out

    literal = f'"""{value}"""' if "\n" in value else f'"{value}"'
    cells = [
        cell(f"# {w.sentence()}\n\n{prose(w)}", "markdown"),
        cell("import os\nimport pandas as pd\n"),
        cell(f'os.environ["{ident(name).upper()}"] = {literal}\nclient = {w.pascal()}()\n'),
        cell(f"df = pd.read_csv('{w.word()}.csv')\ndf.head({w.rng.randint(3, 9)})\n"),
    ]
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return f"{w.snake()}.ipynb", json.dumps(document, indent=1) + "\n"


def document_file(w: Words, name: str, document: str) -> tuple[str, str]:
    """The document as a file of its own, named for what it looks like."""
    stripped = document.lstrip()
    if stripped.startswith("{"):
        return f"{w.word()}-{ident(name).lower()}.json", document + "\n"
    if "://" in document and "\n" not in document:
        return ".env", f"{ident(name).upper()}={document}\n"
    return f"{w.word()}.txt", document + "\n"


def document_heredoc(w: Words, name: str, document: str) -> tuple[str, str]:
    text = f"#!/bin/sh\nset -eu\n\n{shell_lines(w)}cat > /etc/{w.word()}.conf <<'EOF'\n"
    return f"{w.word()}.sh", text + f"{document}\nEOF\n" + shell_lines(w)


def document_markdown(w: Words, name: str, document: str) -> tuple[str, str]:
    text = f"# {w.sentence()}\n\n{prose(w)}```\n{document}\n```\n\n{prose(w)}"
    return f"{w.word()}.md", text


def document_python(w: Words, name: str, document: str) -> tuple[str, str]:
    if '"""' in document or document.endswith('"'):
        return document_heredoc(w, name, document)
    text = f'{python_lines(w)}{ident(name).upper()} = """{document}"""\n\n\n'
    return f"{w.snake()}.py", text + python_lines(w)


#: for secrets that their rule recognises only inside a whole document (a service-account
#: JSON, a connection string), which is then planted as written in the rule's example
DOCUMENT_RENDERERS: dict[str, Renderer] = {
    "doc-file": document_file,
    "doc-heredoc": document_heredoc,
    "doc-markdown": document_markdown,
    "doc-python": document_python,
}

RENDERERS: dict[str, Renderer] = {
    "python": python,
    "javascript": javascript,
    "go": golang,
    "java": java,
    "csharp": csharp,
    "ruby": ruby,
    "php": php,
    "yaml": yaml,
    "json": json_file,
    "toml": toml,
    "ini": ini,
    "dotenv": dotenv,
    "shell": shell,
    "dockerfile": dockerfile,
    "xml": xml,
    "terraform": terraform,
    "markdown": markdown,
    "notebook": notebook,
}
