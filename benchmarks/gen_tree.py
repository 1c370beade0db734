"""Generate a deterministic, source-like tree with a known set of planted keys.

Run (from the project root):

    .venv/bin/python benchmarks/gen_tree.py benchmarks/out/tree --size-mb 200 [--seed 1]

It writes about SIZE_MB megabytes (10**6 bytes) of files in nested directories: Python, JS/TS,
Go, Java, YAML, JSON (data and lock files), Markdown, .env, shell, Dockerfiles, a few minified JS
bundles made of one very long line, and a few binary images. Roughly one text file in
--secret-every (default 200) gets one planted key: OpenAI keys of every shape, AWS access key
ids and GitHub tokens. The list of what was planted goes to OUT.manifest.json, next to the tree
and outside it, as {"planted": [{"path", "line", "column", "kind"}, ...], ...}; paths are
relative to OUT, lines and columns 1-based. The manifest never holds the keys themselves.

Keys are built at run time from the seeded generator (right shape, random body), so neither
this source nor the manifest contains anything key-shaped. The same seed, size and
--secret-every give the same bytes. Content comes from templates filled with random words, so
200 MB takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import string
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

# --------------------------------------------------------------------------- vocabulary

_WORDS_TEXT = """
account action active adapter address admin agent alert alias api app archive array asset
async audit auth backend backup balance base batch billing binary block body bucket buffer
build bundle cache call cancel card cart catalog channel chart check child client cloud
cluster code column command comment commit config connect consumer context contract copy
core count counter create credit cursor customer daemon dashboard data database date debug
default delete delta deploy device diff digest dispatch document domain draft driver email
encode endpoint engine entity entry error event export extract factory feature feed fetch
field file filter flag flow folder format frame gateway global graph group handler hash
header health helper history host hook image import index info input install instance
invoice item job journal kernel key label layer layout ledger limit link list load local
lock log lookup manager manifest map market match media member memory merge message meta
metric migrate mode model module monitor mount node notify number object offer order origin
output owner package page panel parser partner patch path payload payment peer pending
permission pipeline plan plugin policy pool port post preview price print process product
profile project provider proxy publish query queue quota range rate reader record redirect
region registry release remote render report request resolve resource response result
retry review role route rule runner sample scale schema scope score search secret section
sender server service session setting shard share signal source span stage state status
storage store stream subject summary supplier sync table tag target task team template
tenant test thread ticket token topic trace track transfer tree trigger upload usage user
value vendor version view volume wallet watch webhook widget worker workflow zone
"""
WORDS = _WORDS_TEXT.split()

ALNUM = string.ascii_letters + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = ALNUM + "_-"
B32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"


class Filler(dict[str, str]):
    """Mapping for str.format_map that makes a fresh random value for each new field.

    Field names are a kind plus an optional digit suffix: {id}, {id2}, {cam}, {Cls2}, {UP},
    {num}, {word2}, {sent}, {hex}, {uuid}, {ver}, {blob}, {para}, {port}, {v}...
    """

    def __init__(self, gen: Gen) -> None:
        super().__init__()
        self.gen = gen

    def __missing__(self, key: str) -> str:
        value = self.gen.makers[key.rstrip("0123456789")]()
        self[key] = value
        return value


# --------------------------------------------------------------------------- templates
# Each language: file header templates, body block templates, footer templates.
# Blocks end with a newline. "{{" and "}}" are literal braces.

PY_HEAD = [
    '"""{Sent}."""\n\nfrom __future__ import annotations\n\nimport logging\nimport os\n'
    "from dataclasses import dataclass\n\nfrom {id}.{id2} import {Cls}, {Cls2}\n\n"
    "logger = logging.getLogger(__name__)\n\n",
    '"""{Sent}.\n\n{para}\n"""\n\nimport json\nimport sys\nfrom typing import Any\n\n',
]
PY_BODY = [
    'def {id}({id2}, {id3}=None):\n    """{Sent}."""\n    if {id3} is None:\n'
    "        {id3} = {num}\n    result = []\n    for item in {id2}:\n"
    "        if item.{id4} > {id3}:\n            result.append(item)\n    return result\n\n\n",
    'class {Cls}({Cls2}):\n    """{Sent}."""\n\n'
    "    def __init__(self, {id}: str, {id2}: int = {num}) -> None:\n"
    "        super().__init__()\n        self.{id} = {id}\n        self.{id2} = {id2}\n\n"
    "    def __repr__(self) -> str:\n"
    '        return f"{Cls}({{self.{id}!r}}, {{self.{id2}}})"\n\n\n',
    "@dataclass(frozen=True)\nclass {Cls}:\n    {id}: str\n    {id2}: int = {num}\n"
    "    {id3}: list[str] | None = None\n\n\n",
    "def test_{id}_{id2}({id3}):\n    {id4} = {Cls}({id3}, limit={num})\n"
    "    assert {id4}.{id}() == {num2}\n"
    '    assert "{word}" in {id4}.{id2}\n\n\n',
    "async def {id}(self, {id2}: {Cls}) -> dict[str, Any]:\n"
    '    logger.info("{sent}: %s", {id2}.{id3})\n'
    '    async with self.session.get(f"{{self.base_url}}/{word}/{{{id2}.id}}") as resp:\n'
    "        resp.raise_for_status()\n        return await resp.json()\n\n\n",
    '{UP} = os.environ.get("{UP}", "{word}")\n{UP2} = {num}\n{UP3}_CHECKSUM = "{hex}"\n\n',
    "def {id}() -> None:\n"
    '    client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n'
    '    reply = client.responses.create(model="gpt-4o-mini", input="{sent}")\n'
    "    print(reply.output_text)\n\n\n",
    "    # {Sent}.\n    for {id}, {id2} in enumerate({id3}):\n        if not {id2}:\n"
    "            continue\n        {id4}[{id}] = {id2}.strip().lower()\n\n",
]
PY_FOOT = ['\nif __name__ == "__main__":\n    {id}(sys.argv[1:])\n', ""]

JS_HEAD = [
    '"use strict";\n\nconst {cam} = require("./{id}");\nconst {{ {Cls}, {cam2} }} = '
    'require("../{id2}/{id3}");\n\n',
    'import {{ {Cls}, {Cls2} }} from "./{id}/{id2}";\nimport {cam} from "{word}-{word2}";\n\n',
]
JS_BODY = [
    "export function {cam}({cam2}, {cam3}) {{\n"
    "  const {cam4} = {cam2}.map((x) => x.{cam5} * {num});\n"
    "  if (!{cam4}.length) {{\n"
    '    throw new Error("{sent}");\n  }}\n'
    "  return {cam4}.filter(Boolean).slice(0, {cam3});\n}}\n\n",
    "async function {cam}(req, res) {{\n  const {{ {cam2}, {cam3} }} = req.body;\n"
    '  const row = await db.query("SELECT * FROM {id} WHERE id = $1", [{cam2}]);\n'
    "  res.status(200).json({{ ok: true, {cam3}: row }});\n}}\n\n",
    'const {UP} = process.env.{UP} || "{word}";\nconst {UP2} = {num};\n'
    'const {cam} = {{\n  {cam2}: "{uuid}",\n  {cam3}: {num2},\n  {cam4}: ["{word}", "{word2}"],\n'
    "}};\n\n",
    "class {Cls} extends {Cls2} {{\n  constructor({cam}) {{\n    super();\n"
    "    this.{cam} = {cam};\n    this.{cam2} = new Map();\n  }}\n\n"
    "  {cam3}(key) {{\n    // {Sent}.\n    return this.{cam2}.get(key) ?? null;\n  }}\n}}\n\n",
    'describe("{Cls}", () => {{\n  it("{sent}", async () => {{\n'
    "    const {cam} = await {cam2}({num});\n    expect({cam}).toEqual({num2});\n  }});\n}});\n\n",
    "// {Sent}.\nconst openai = new OpenAI({{ apiKey: process.env.OPENAI_API_KEY }});\n\n",
]
JS_FOOT = ["\nmodule.exports = {{ {cam}, {cam2} }};\n", "\nexport default {Cls};\n"]

TS_BODY = [
    *JS_BODY,
    "export interface {Cls} {{\n  {cam}: string;\n  {cam2}?: number;\n  {cam3}: {Cls2}[];\n"
    "  readonly {cam4}: Record<string, unknown>;\n}}\n\n",
    'export type {Cls} = "{word}" | "{word2}" | "{word3}";\n\n',
    "export async function {cam}({cam2}: {Cls}): Promise<{Cls2} | undefined> {{\n"
    "  const res = await fetch(`${{BASE_URL}}/{word}/${{{cam2}.id}}`);\n"
    "  if (!res.ok) return undefined;\n  return (await res.json()) as {Cls2};\n}}\n\n",
]

GO_HEAD = [
    '// Package {id} {sent}.\npackage {id}\n\nimport (\n\t"context"\n\t"errors"\n'
    '\t"fmt"\n\t"time"\n)\n\n',
]
GO_BODY = [
    "func (s *{Cls}) {Cls2}(ctx context.Context, {cam} string) (*{Cls3}, error) {{\n"
    '\tif {cam} == "" {{\n\t\treturn nil, fmt.Errorf("{sent}: %w", Err{Cls4})\n\t}}\n'
    "\t{cam2}, err := s.store.Get(ctx, {cam})\n\tif err != nil {{\n\t\treturn nil, err\n\t}}\n"
    "\treturn {cam2}, nil\n}}\n\n",
    'type {Cls} struct {{\n\t{Cls2} string `json:"{id}"`\n\t{Cls3} int `json:"{id2},omitempty"`\n'
    "\t{Cls4} time.Duration\n}}\n\n",
    "// {Cls} {sent}.\nfunc {Cls}({cam} []string) map[string]int {{\n"
    "\tout := make(map[string]int, len({cam}))\n\tfor i, v := range {cam} {{\n"
    "\t\tout[v] = i * {num}\n\t}}\n\treturn out\n}}\n\n",
    'var Err{Cls} = errors.New("{sent}")\n\nconst {cam}Timeout = {num} * time.Millisecond\n\n',
]

JAVA_HEAD = [
    "package com.{word}.{word2};\n\nimport java.util.List;\nimport java.util.Objects;\n"
    "import org.slf4j.Logger;\nimport org.slf4j.LoggerFactory;\n\n/** {Sent}. */\n"
    "public class {Cls} {{\n    private static final Logger LOG = LoggerFactory.getLogger("
    "{Cls}.class);\n\n",
]
JAVA_BODY = [
    "    public {Cls} {cam}(final String {cam2}, int {cam3}) {{\n"
    '        Objects.requireNonNull({cam2}, "{sent}");\n'
    '        if ({cam3} > {num}) {{\n            LOG.warn("{sent2} {{}}", {cam3});\n        }}\n'
    "        return new {Cls}({cam2}, {cam3});\n    }}\n\n",
    "    private final List<{Cls}> {cam} = new java.util.ArrayList<>();\n"
    '    private static final String {UP} = "{word}-{word2}";\n\n',
    "    @Override\n    public String toString() {{\n"
    '        return "{Cls}{{" + "{cam}=" + {cam} + ", {cam2}=" + {cam2} + "}}";\n    }}\n\n',
]
JAVA_FOOT = ["}}\n"]

YAML_HEAD = ['# {Sent}.\nversion: "3.9"\nservices:\n', "name: {word}-{word2}\non:\n  push:\n"]
YAML_BODY = [
    "  {id}:\n    image: registry.example.com/{word}/{word2}:{ver}\n    restart: unless-stopped\n"
    '    ports:\n      - "{port}:{port}"\n    environment:\n      {UP}: "{word}"\n'
    "      OPENAI_API_KEY: ${{OPENAI_API_KEY}}\n",
    "  - name: {Sent}\n    run: make {word} && ./scripts/{id}.sh --{word2}={num}\n",
    '  {id}:\n    replicas: {num}\n    resources:\n      limits:\n        cpu: "{num2}m"\n'
    "        memory: {num3}Mi\n    labels:\n      app.kubernetes.io/name: {word}\n",
]

JSON_HEAD = ["[\n"]
JSON_BODY = [
    '  {{"id": "{uuid}", "name": "{word} {word2}", "count": {num}, "active": true, '
    '"sha": "{hex}"}},\n',
    '  {{"id": "{uuid}", "{cam}": "{sent}", "tags": ["{word}", "{word2}"], "score": {num}}},\n',
]
JSON_FOOT = ['  {{"id": "{uuid}"}}\n]\n']

LOCK_HEAD = ['{{\n  "name": "{word}-{word2}",\n  "lockfileVersion": 3,\n  "packages": {{\n']
LOCK_BODY = [
    '    "node_modules/{word}-{word2}": {{\n      "version": "{ver}",\n'
    '      "resolved": "https://registry.example.com/{word}-{word2}/-/{word}-{word2}-{ver}.tgz",\n'
    '      "integrity": "sha512-{blob}",\n      "dev": true\n    }},\n',
]
LOCK_FOOT = ['    "": {{}}\n  }}\n}}\n']

MD_HEAD = ["# {Sent}\n\n{para}\n\n"]
MD_BODY = [
    "## {Sent}\n\n{para}\n\n",
    "```bash\n{word} {id} --{word2}={num}\nexport OPENAI_API_KEY=sk-...\n```\n\n",
    "- {Sent}.\n- {Sent2}.\n- See `{id}.{id2}` and [{word}](docs/{word}.md).\n\n",
    "| {word} | {word2} | {word3} |\n| --- | --- | --- |\n| {num} | {num2} | `{hex}` |\n\n",
]

ENV_BODY = [
    "{UP}={word}\n",
    "{UP}=http://localhost:{port}/{word}\n",
    "# {Sent}\n",
    "OPENAI_API_KEY=your-api-key-here\n",
    "{UP}_ID={uuid}\n",
]

SH_HEAD = ["#!/usr/bin/env bash\n# {Sent}.\nset -euo pipefail\n\n"]
SH_BODY = [
    '{id}() {{\n  local {id2}="${{1:-{word}}}"\n  if [[ -z "${{{id2}}}" ]]; then\n'
    '    echo "{sent}" >&2\n    return 1\n  fi\n  {word} --{word2} "${{{id2}}}"\n}}\n\n',
    'for f in ./{word}/*.{word2}; do\n  [ -e "$f" ] || continue\n  cp "$f" "$TMP/"\ndone\n\n',
    'export {UP}="${{{UP}:-{word}}}"\n',
]

DOCKER_HEAD = ["FROM python:3.11-slim AS {word}\n\nWORKDIR /app\n"]
DOCKER_BODY = [
    "COPY {word}/ ./{word}/\n",
    "RUN apt-get update && apt-get install -y --no-install-recommends {word} {word2} \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n",
    "ENV {UP}={word} \\\n    {UP2}={num}\n",
    "# {Sent}\n",
]
DOCKER_FOOT = ['CMD ["python", "-m", "{id}"]\n']

MIN_BODY = [
    "function {v}({v2},{v3}){{return {v2}.{cam}({v3})||{num}}}",
    'var {v}={{{cam}:"{word}",{cam2}:{num},{cam3}:!0}}',
    "{v}.prototype.{cam}=function({v2}){{this.{cam2}=[{v2},{num}]}}",
    'if(!{v}.{cam}){{throw new TypeError("{sent}")}}',
    "for(var {v}=0;{v}<{v2}.length;{v}++){v3}[{v}]={v2}[{v}]^{num}",
]


@dataclass(frozen=True)
class Lang:
    """How to write one kind of file."""

    name: str
    weight: float
    head: list[str]
    body: list[str]
    foot: list[str]
    median_bytes: int
    plant: str  # template with {var} and {key}; column is where {key} lands


LANGS = [
    Lang("py", 22, PY_HEAD, PY_BODY, PY_FOOT, 8000, '{var_lower} = "{key}"\n'),
    Lang("js", 11, JS_HEAD, JS_BODY, JS_FOOT, 8000, 'const {var_camel} = "{key}";\n'),
    Lang("ts", 11, JS_HEAD, TS_BODY, JS_FOOT, 8000, "export const {var_camel} = '{key}';\n"),
    Lang("go", 10, GO_HEAD, GO_BODY, [""], 9000, 'const {var_camel} = "{key}"\n\n'),
    Lang(
        "java",
        8,
        JAVA_HEAD,
        JAVA_BODY,
        JAVA_FOOT,
        9000,
        '    private static final String {var_upper} = "{key}";\n',
    ),
    Lang("yaml", 8, YAML_HEAD, YAML_BODY, [""], 3000, "      {var_upper}: {key}\n"),
    Lang("json", 6, JSON_HEAD, JSON_BODY, JSON_FOOT, 20000, '  {{"{var_camel}": "{key}"}},\n'),
    Lang("lock", 1, LOCK_HEAD, LOCK_BODY, LOCK_FOOT, 60000, '      "token": "{key}",\n'),
    Lang("md", 8, MD_HEAD, MD_BODY, [""], 5000, "    export {var_upper}={key}\n"),
    Lang("env", 2, [""], ENV_BODY, [""], 300, "{var_upper}={key}\n"),
    Lang("sh", 4, SH_HEAD, SH_BODY, [""], 2500, 'export {var_upper}="{key}"\n'),
    Lang("docker", 2, DOCKER_HEAD, DOCKER_BODY, DOCKER_FOOT, 600, "ENV {var_upper}={key}\n"),
    Lang("minjs", 0.25, ["/*! {word}-{word2} v{ver} */\n"], MIN_BODY, ["\n"], 300_000, ""),
    Lang("png", 1, [""], [""], [""], 12000, ""),
]

EXT = {
    "py": ".py",
    "js": ".js",
    "ts": ".ts",
    "go": ".go",
    "java": ".java",
    "yaml": ".yaml",
    "json": ".json",
    "md": ".md",
    "sh": ".sh",
    "minjs": ".min.js",
    "png": ".png",
}

# Planted key kinds, in the order they are handed out (then round again).
KIND_CYCLE = [
    "openai-proj-74",
    "openai-legacy",
    "aws-access-key-id",
    "openai-proj-58",
    "github-pat",
    "openai-svcacct-74",
    "openai-proj-20",
    "openai-admin-74",
    "openai-none-58",
    "openai-svcacct-20",
    "openai-admin-58",
    "openai-none-20",
]
VAR_NAMES = {
    "openai": ("openai_api_key", "openaiApiKey", "OPENAI_API_KEY"),
    "aws": ("aws_access_key_id", "awsAccessKeyId", "AWS_ACCESS_KEY_ID"),
    "github": ("github_token", "githubToken", "GITHUB_TOKEN"),
}


@dataclass(frozen=True)
class Plant:
    """One planted key: where it is (relative to the tree root) and what it is."""

    path: str
    line: int
    column: int
    kind: str


# --------------------------------------------------------------------------- generator


def base62_crc32(text: str) -> str:
    """The checksum GitHub appends to its tokens: the CRC32 of the random part in base62, 6 wide."""
    number = zlib.crc32(text.encode())
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = BASE62[digit] + digits
    return digits.rjust(6, "0")


class Gen:
    """Seeded content generator. All randomness goes through self.rng."""

    POOL_SIZE = 400

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.makers: dict[str, Callable[[], str]] = {
            "id": self.ident,
            "cam": self.camel,
            "Cls": self.pascal,
            "UP": lambda: self.ident().upper(),
            "num": lambda: str(self.rng.choice((1, 2, 3, 5, 8, 10, 16, 30, 64, 100, 250, 1000))),
            "word": lambda: self.rng.choice(WORDS),
            "sent": self.sentence,
            "Sent": lambda: self.sentence().capitalize(),
            "para": self.paragraph,
            "hex": lambda: self.chars(HEX, 64),
            "blob": lambda: self.chars(B64, 86) + "==",
            "uuid": self.uuid,
            "ver": lambda: (
                f"{self.rng.randint(0, 9)}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 20)}"
            ),
            "port": lambda: str(self.rng.randint(1024, 9999)),
            "v": lambda: self.rng.choice(string.ascii_letters),
        }
        self.pools = {lang.name: self._pool(lang.body) for lang in LANGS if lang.body != [""]}
        self.avg_block = {
            name: sum(len(b) for b in pool) / len(pool) for name, pool in self.pools.items()
        }
        self.kind_index = 0

    # ---- small values

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def ident(self) -> str:
        return "_".join(self.rng.choices(WORDS, k=self.rng.choice((1, 2, 2, 3))))

    def camel(self) -> str:
        first, *rest = self.rng.choices(WORDS, k=self.rng.choice((1, 2, 2, 3)))
        return first + "".join(w.capitalize() for w in rest)

    def pascal(self) -> str:
        return "".join(w.capitalize() for w in self.rng.choices(WORDS, k=self.rng.choice((1, 2))))

    def sentence(self) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(4, 11)))

    def paragraph(self) -> str:
        return ". ".join(self.sentence().capitalize() for _ in range(self.rng.randint(2, 5))) + "."

    def uuid(self) -> str:
        h = self.chars(HEX, 32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def fill(self, template: str) -> str:
        return template.format_map(Filler(self)) if "{" in template else template

    def _pool(self, templates: list[str]) -> list[str]:
        return [self.fill(self.rng.choice(templates)) for _ in range(self.POOL_SIZE)]

    # ---- keys (built here, at run time, never written in the source)

    def make_key(self, kind: str) -> str:
        marker = "T3Blbk" + "FJ"
        if kind == "openai-legacy":
            return "sk-" + self.chars(ALNUM, 20) + marker + self.chars(ALNUM, 20)
        if kind.startswith("openai-"):
            _, who, n = kind.split("-")
            prefix = {"proj": "proj", "svcacct": "svcacct", "admin": "admin", "none": "None"}[who]
            half = int(n)
            return f"sk-{prefix}-" + self.chars(URLSAFE, half) + marker + self.chars(URLSAFE, half)
        if kind == "aws-access-key-id":
            return "AK" + "IA" + self.chars(B32, 16)
        if kind == "github-pat":
            # 36 characters are drawn, as before checksums were checked, so every other generated
            # byte stays the same; the last six become the CRC32 that real tokens carry.
            body = self.chars(ALNUM, 36)[:30]
            return "gh" + "p_" + body + base62_crc32(body)
        raise ValueError(kind)

    def next_kind(self) -> str:
        kind = KIND_CYCLE[self.kind_index % len(KIND_CYCLE)]
        self.kind_index += 1
        return kind

    def plant_line(self, lang: Lang, kind: str) -> tuple[str, int]:
        """Return (line text, 1-based column of the key) for a planted key."""
        lower, camel, upper = VAR_NAMES[kind.split("-")[0]]
        key = self.make_key(kind)
        if lang.name == "minjs":
            text = f'var {self.rng.choice(string.ascii_letters)}={{{camel}:"{key}"}}'
        else:
            text = lang.plant.format(var_lower=lower, var_camel=camel, var_upper=upper, key=key)
        return text, text.index(key) + 1

    # ---- whole files

    def text_lines(self, lang_name: str, n_lines: int) -> str:
        """Secret-free content of about n_lines lines (exactly n_lines if the pool allows)."""
        lang = next(lang for lang in LANGS if lang.name == lang_name)
        parts = [self.fill(self.rng.choice(lang.head))]
        count = parts[0].count("\n")
        pool = self.pools[lang_name]
        while count < n_lines:
            block = self.rng.choice(pool)
            parts.append(block)
            count += block.count("\n")
        lines = "".join(parts).splitlines(keepends=True)
        return "".join(lines[:n_lines])

    def file_bytes(self, lang: Lang, plant_kind: str | None) -> tuple[bytes, int, int]:
        """Return (content, line, column) for a new file; line is 0 when nothing was planted."""
        rng = self.rng
        target = min(
            int(lang.median_bytes * math.exp(rng.gauss(0.0, 0.9))),
            40 * lang.median_bytes,
            4_000_000,
        )
        if lang.name == "png":
            return b"\x89PNG\r\n\x1a\n" + rng.randbytes(max(64, target)), 0, 0
        pool = self.pools[lang.name]
        k = max(1, round(target / self.avg_block[lang.name]))
        head = self.fill(rng.choice(lang.head))
        body = rng.choices(pool, k=k)
        foot = self.fill(rng.choice(lang.foot))
        line = column = 0
        sep = ";" if lang.name == "minjs" else ""
        if plant_kind is not None:
            text, column = self.plant_line(lang, plant_kind)
            at = rng.randint(0, len(body))
            body.insert(at, text)
            if lang.name == "minjs":
                line = head.count("\n") + 1
                column += sum(len(b) for b in body[:at]) + at  # one ";" after each fragment
            else:
                line = head.count("\n") + sum(b.count("\n") for b in body[:at]) + 1
        return (head + sep.join(body) + foot).encode(), line, column


# --------------------------------------------------------------------------- tree layout


def make_dirs(gen: Gen, n_dirs: int) -> list[str]:
    """Nested directory names, as paths relative to the root ("" is the root)."""
    rng = gen.rng
    tops = ["services", "libs", "web", "tools", "docs", "deploy", "scripts", "packages"]
    dirs = ["", *tops]
    seen = set(dirs)
    while len(dirs) < n_dirs:
        parent = rng.choice(dirs[1:])
        if parent.count("/") >= 6:
            continue
        name = rng.choice(
            (gen.ident(), rng.choice(WORDS), "src", "internal", "tests", "config", "lib")
        )
        path = f"{parent}/{name}"
        if path not in seen:
            seen.add(path)
            dirs.append(path)
    return dirs


def file_name(gen: Gen, lang: Lang) -> str:
    rng = gen.rng
    if lang.name == "env":
        return rng.choice((".env", f".env.{rng.choice(WORDS)}", f"{gen.ident()}.env"))
    if lang.name == "docker":
        return rng.choice(("Dockerfile", f"Dockerfile.{rng.choice(WORDS)}"))
    if lang.name == "lock":
        return rng.choice(("package-lock.json", f"{gen.ident()}.lock.json"))
    if lang.name == "java":
        return gen.pascal() + ".java"
    if lang.name == "go" and rng.random() < 0.3:
        return f"{gen.ident()}_test.go"
    return gen.ident() + EXT[lang.name]


def generate(out: Path, size_mb: float, seed: int, secret_every: int) -> dict[str, object]:
    """Write the tree under out and return the manifest (also written next to it)."""
    gen = Gen(seed)
    rng = gen.rng
    target = int(size_mb * 1_000_000)
    est_files = max(20, target // 14_000)
    dirs = make_dirs(gen, max(10, est_files // 12))
    weights = [lang.weight for lang in LANGS]
    used: set[str] = set()
    created: set[str] = set()
    plants: list[Plant] = []
    total = files = 0
    gap = secret_every // 2
    while total < target:
        lang = rng.choices(LANGS, weights=weights)[0]
        rel_dir = rng.choice(dirs)
        name = file_name(gen, lang)
        rel = f"{rel_dir}/{name}" if rel_dir else name
        while rel in used:
            stem, dot, ext = name.partition(".")
            name = f"{stem}_{len(used)}{dot}{ext}"
            rel = f"{rel_dir}/{name}" if rel_dir else name
        used.add(rel)
        kind = None
        if lang.name != "png":
            gap -= 1
            if gap <= 0:
                kind = gen.next_kind()
                gap = rng.randint(max(1, secret_every // 2), max(1, secret_every * 3 // 2))
        data, line, column = gen.file_bytes(lang, kind)
        if rel_dir not in created:
            (out / rel_dir).mkdir(parents=True, exist_ok=True)
            created.add(rel_dir)
        (out / rel).write_bytes(data)
        if kind is not None:
            plants.append(Plant(rel, line, column, kind))
        total += len(data)
        files += 1
    manifest: dict[str, object] = {
        "generator": "benchmarks/gen_tree.py",
        "root": str(out.resolve()),
        "seed": seed,
        "size_mb": size_mb,
        "secret_every": secret_every,
        "files": files,
        "bytes": total,
        "planted": [asdict(p) for p in plants],
    }
    return manifest


def manifest_path(out: Path) -> Path:
    return out.parent / (out.name + ".manifest.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="directory to create (the tree to scan)")
    parser.add_argument("--size-mb", type=float, default=200.0, help="total size (10**6 bytes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--secret-every", type=int, default=200, help="about one planted key per N text files"
    )
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)

    out: Path = args.out
    if out.exists():
        if not args.force:
            print(f"{out} exists; use --force to replace it", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True)
    start = time.perf_counter()
    manifest = generate(out, args.size_mb, args.seed, args.secret_every)
    mpath = manifest_path(out)
    mpath.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    elapsed = time.perf_counter() - start
    planted = manifest["planted"]
    assert isinstance(planted, list)
    print(
        f"wrote {manifest['files']} files, {int(manifest['bytes']) / 1e6:.1f} MB, "
        f"{len(planted)} planted keys in {elapsed:.1f}s\nmanifest: {mpath}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
