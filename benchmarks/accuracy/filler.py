"""Ordinary code and prose to surround planted values, so that files look like real ones.

Nothing here is random-looking beyond words and small numbers: the only high-entropy strings in
the corpus are the ones planted on purpose.
"""

from __future__ import annotations

import random

VOCABULARY = """
account action adapter address agent alert archive asset audit backend backup balance batch
billing block bucket buffer build bundle cache cart catalog channel chart client cluster column
command comment commit config consumer context counter customer daemon dashboard database debug
delta deploy device digest domain draft driver email endpoint engine entity entry event export
factory feature feed field filter folder format frame gateway graph group handler header health
helper history image index input instance invoice item journal label layer ledger limit listing
loader manager metric migrate module monitor notify order origin output owner package panel
parser partner payload payment pipeline plugin policy preview price process product profile
project proxy publish query queue quota range reader record region release remote render report
request resource response retry review route runner sample scale schema score search section
sender server service session shard signal source stage status storage stream subject summary
supplier table target task template tenant thread ticket topic trace track transfer trigger
upload usage vendor version volume wallet widget worker workflow zone
"""
WORDS = VOCABULARY.split()


class Words:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def word(self) -> str:
        return self.rng.choice(WORDS)

    def snake(self, parts: int = 2) -> str:
        return "_".join(self.word() for _ in range(parts))

    def camel(self, parts: int = 2) -> str:
        first, *rest = (self.word() for _ in range(parts))
        return first + "".join(w.capitalize() for w in rest)

    def pascal(self, parts: int = 2) -> str:
        return "".join(self.word().capitalize() for _ in range(parts))

    def upper(self, parts: int = 2) -> str:
        return self.snake(parts).upper()

    def sentence(self, length: int = 7) -> str:
        words = [self.word() for _ in range(length)]
        return " ".join(words).capitalize()

    def number(self) -> int:
        return self.rng.randint(1, 5000)

    def host(self) -> str:
        return f"{self.word()}.{self.word()}.internal"


def python_lines(w: Words) -> str:
    return (
        f"def {w.snake()}({w.word()}, {w.word()}_limit={w.number()}):\n"
        f'    """{w.sentence()}."""\n'
        f"    result = []\n"
        f"    for item in {w.word()}:\n"
        f"        if item.{w.word()} > {w.number()}:\n"
        f"            result.append(item)\n"
        f"    return result\n\n\n"
    )


def js_lines(w: Words) -> str:
    return (
        f"export function {w.camel()}({w.word()}, options = {{}}) {{\n"
        f"  // {w.sentence()}\n"
        f"  const {w.camel()} = options.{w.word()} ?? {w.number()};\n"
        f"  return fetch(`/api/{w.word()}/${{{w.word()}}}`).then((res) => res.json());\n"
        f"}}\n\n"
    )


def go_lines(w: Words) -> str:
    return (
        f"// {w.pascal()} {w.sentence().lower()}.\n"
        f"func {w.pascal()}(ctx context.Context, {w.word()} string) (int, error) {{\n"
        f'\tif {w.word()} == "" {{\n\t\treturn 0, errors.New("{w.word()} missing")\n\t}}\n'
        f"\treturn {w.number()}, nil\n}}\n\n"
    )


def java_lines(w: Words) -> str:
    return (
        f"    /** {w.sentence()}. */\n"
        f"    public int {w.camel()}(String {w.word()}) {{\n"
        f"        int total = {w.number()};\n"
        f'        for (String part : {w.word()}.split(",")) {{\n'
        f"            total += part.length();\n        }}\n        return total;\n    }}\n\n"
    )


def ruby_lines(w: Words) -> str:
    return (
        f"  # {w.sentence()}\n"
        f"  def {w.snake()}({w.word()})\n"
        f"    @{w.word()} ||= {w.pascal()}.where({w.word()}: {w.word()}).limit({w.number()})\n"
        f"  end\n\n"
    )


def php_lines(w: Words) -> str:
    return (
        f"    // {w.sentence()}\n"
        f"    public function {w.camel()}(${w.word()})\n    {{\n"
        f"        return $this->{w.word()}->find(${w.word()}, {w.number()});\n    }}\n\n"
    )


def yaml_lines(w: Words) -> str:
    return (
        f"{w.word()}:\n  {w.word()}: {w.number()}\n  {w.snake()}: true\n"
        f"  {w.word()}: {w.host()}\n  # {w.sentence()}\n"
    )


def ini_lines(w: Words) -> str:
    return f"[{w.word()}]\n{w.snake()} = {w.number()}\n{w.word()} = {w.host()}\n\n"


def shell_lines(w: Words) -> str:
    return (
        f"# {w.sentence()}\n"
        f'if [ -d "${{{w.upper()}:-/tmp/{w.word()}}}" ]; then\n'
        f'  echo "{w.sentence().lower()}"\nfi\n'
    )


def prose(w: Words) -> str:
    return " ".join(w.sentence() + "." for _ in range(w.rng.randint(2, 5))) + "\n\n"
