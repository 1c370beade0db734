"""Generate a deterministic repository with a long history and a known set of planted keys.

Run (from the project root):

    .venv/bin/python benchmarks/gen_history.py benchmarks/out/history.git [--commits 20000]
        [--files 3000] [--keys 48] [--seed 1]

It writes a bare repository, built in one `git fast-import` stream: a first commit of --files
source-like files (gen_tree.py's templates) in nested directories, then commits that each
change one to four files (lines replaced, added, or removed; now and then a file added, renamed
or deleted; binary images rewritten), from a pool of authors with increasing dates. Every
--branch-every commits a feature branch of three commits adds files and is merged back with a
merge commit; some releases are tagged.

--keys keys (OpenAI of several shapes, AWS access key ids, GitHub tokens) are planted at
random commits: inserted into a file on main, or added in a new file on a feature branch that
is merged later. Most are deleted again some commits later (the line removed, or the file
deleted); the rest are still in HEAD. The manifest, OUT.manifest.json next to the repository,
lists per key: kind, SHA-256 of the key, introducing commit, author, path, line, the commit
that removed it (or null). It never holds the keys themselves, which are built at run time
from the seeded generator: neither this source nor the manifest contains anything key-shaped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import gen_tree
from gen_tree import KIND_CYCLE, LANGS, VAR_NAMES, WORDS, Gen, Lang

EPOCH = 1_500_000_000
TEXT_LANGS = [lang for lang in LANGS if lang.name not in ("minjs", "png")]
PNG = next(lang for lang in LANGS if lang.name == "png")
AUTHOR_COUNT = 24


@dataclass
class Planted:
    kind: str
    key_sha256: str
    commit: str  # a fast-import mark until the marks are resolved to commit ids
    author_name: str
    author_email: str
    path: str
    line: int
    removed: str | None = None


@dataclass
class Live:
    """A planted key still in the tree: where it is, so it can be deleted later."""

    plant: Planted
    key: str
    path: str
    remove_at: int | None


class History:
    def __init__(self, args: argparse.Namespace, stream: IO[bytes]) -> None:
        self.args = args
        self.out = stream
        self.gen = Gen(args.seed)
        self.rng = self.gen.rng
        self.mark = 0
        self.time = EPOCH
        self.files: dict[str, tuple[Lang, list[bytes]]] = {}
        self.dirs = gen_tree.make_dirs(self.gen, max(8, args.files // 20))
        self.authors = [
            (f"{w1.capitalize()} {w2.capitalize()}", f"{w1}.{w2}@example.com")
            for w1, w2 in (self.rng.sample(WORDS, 2) for _ in range(AUTHOR_COUNT))
        ]
        self.planted: list[Planted] = []
        self.live: list[Live] = []
        self.plant_at = set(self.rng.sample(range(2, args.commits), args.keys))
        self.main_tip = 0
        self.branch_count = 0
        self.commits = 0
        self.number = 1
        #: paths written in the commit being built: never renamed or deleted in the same one
        self.touched: set[str] = set()

    # ---- the fast-import stream

    def write(self, text: str) -> None:
        self.out.write(text.encode())

    def data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def begin(self, ref: str, message: str, parent: int, merge: int = 0) -> tuple[int, str, str]:
        self.mark += 1
        self.commits += 1
        self.time += self.rng.randint(60, 7200)
        name, email = self.rng.choice(self.authors)
        self.touched = set()
        self.write(f"commit {ref}\nmark :{self.mark}\n")
        self.write(f"author {name} <{email}> {self.time} +0000\n")
        self.write(f"committer {name} <{email}> {self.time} +0000\n")
        self.data(message.encode())
        if parent:
            self.write(f"from :{parent}\n")
        if merge:
            self.write(f"merge :{merge}\n")
        return self.mark, name, email

    def put(self, path: str, lines: list[bytes]) -> None:
        self.touched.add(path)
        self.write(f"M 100644 inline {path}\n")
        self.data(b"".join(lines))

    # ---- content

    def new_file(self, lang: Lang) -> list[bytes]:
        content, _, _ = self.gen.file_bytes(lang, None)
        if lang.name == "png":
            return [content[:60_000]]
        return content.splitlines(keepends=True) or [b"\n"]

    def new_path(self, lang: Lang) -> str:
        while True:
            directory = self.rng.choice(self.dirs)
            path = f"{directory}/{gen_tree.file_name(self.gen, lang)}".lstrip("/")
            if path not in self.files:
                return path

    def key_line(self, lang: Lang, kind: str) -> tuple[bytes, str]:
        lower, camel, upper = VAR_NAMES[kind.split("-")[0]]
        key = self.gen.make_key(kind)
        text = lang.plant.format(var_lower=lower, var_camel=camel, var_upper=upper, key=key)
        return text.encode(), key

    def churn(self, lines: list[bytes], lang: Lang) -> list[bytes]:
        """Replace, insert or delete a few lines, never one holding a live key."""
        if lang.name == "png":
            return [self.rng.randbytes(len(lines[0]))]
        protected = {live.key.encode() for live in self.live}
        at = self.rng.randrange(len(lines) + 1)
        span = self.rng.randint(0, 4)
        if any(key in line for line in lines[at : at + span] for key in protected):
            span = 0
        block = self.rng.choice(self.gen.pools[lang.name]).splitlines(keepends=True)
        fresh = [line.encode() for line in block[: self.rng.randint(1, 6)]]
        return lines[:at] + fresh + lines[at + span :]

    # ---- commits

    def initial(self) -> None:
        mark, _, _ = self.begin("refs/heads/main", "initial import", 0)
        for index in range(self.args.files):
            lang = PNG if index % 50 == 0 else self.pick_lang()
            path = self.new_path(lang)
            self.files[path] = (lang, self.new_file(lang))
            self.put(path, self.files[path][1])
        self.main_tip = mark

    def pick_lang(self) -> Lang:
        return self.rng.choices(TEXT_LANGS, weights=[lang.weight for lang in TEXT_LANGS])[0]

    def ordinary(self, number: int) -> None:
        self.number = number
        removals = [live for live in self.live if live.remove_at == number]
        plant = number in self.plant_at and number % 3 != 0
        message = f"{self.rng.choice(WORDS)}: {self.gen.sentence()}"
        mark, name, email = self.begin("refs/heads/main", message, self.main_tip)
        for live in removals:
            self.remove_key(live, mark)
        if plant:
            self.plant_in_file(mark, name, email)
        for _ in range(self.rng.choice((1, 1, 2, 2, 3, 4))):
            self.change_something()
        self.main_tip = mark
        if number in self.plant_at and number % 3 == 0:
            self.feature_branch(number, plant=True)
        elif number % self.args.branch_every == 0:
            self.feature_branch(number, plant=False)
        if number % 2500 == 0:
            self.write(f"reset refs/tags/v{number // 2500}.0\nfrom :{self.main_tip}\n\n")

    def change_something(self) -> None:
        roll = self.rng.random()
        holding = {live.path for live in self.live}
        path = self.rng.choice(list(self.files))
        lang, lines = self.files[path]
        settled = path not in self.touched
        if roll < 0.04:
            lang = self.pick_lang()
            path = self.new_path(lang)
            self.files[path] = (lang, self.new_file(lang))
            self.put(path, self.files[path][1])
        elif roll < 0.06 and settled and path not in holding:
            del self.files[path]
            self.write(f"D {path}\n")
        elif roll < 0.08 and settled:
            target = self.new_path(lang)
            self.files[target] = self.files.pop(path)
            self.write(f"R {path} {target}\n")
            self.touched.update((path, target))
            for live in self.live:
                if live.path == path:
                    live.path = target
        else:
            self.files[path] = (lang, self.churn(lines, lang))
            self.put(path, self.files[path][1])

    def plant_in_file(self, mark: int, name: str, email: str) -> None:
        text_paths = [p for p, (lang, _) in self.files.items() if lang.plant and lang.name != "png"]
        path = self.rng.choice(text_paths)
        lang, lines = self.files[path]
        kind = KIND_CYCLE[len(self.planted) % len(KIND_CYCLE)]
        line, key = self.key_line(lang, kind)
        at = self.rng.randrange(len(lines) + 1)
        lines = [*lines[:at], line, *lines[at:]]
        self.files[path] = (lang, lines)
        self.put(path, lines)
        self.record(kind, key, mark, name, email, path, at + 1)

    def record(
        self, kind: str, key: str, mark: int, name: str, email: str, path: str, line: int
    ) -> None:
        plant = Planted(
            kind, hashlib.sha256(key.encode()).hexdigest(), f":{mark}", name, email, path, line
        )
        self.planted.append(plant)
        keep = self.rng.random() < 0.25
        remove_at = None if keep else self.number + self.rng.randint(5, 3000)
        self.live.append(Live(plant, key, path, remove_at))

    def remove_key(self, live: Live, mark: int) -> None:
        self.live.remove(live)
        path = live.path
        live.plant.removed = f":{mark}"
        lang, lines = self.files[path]
        kept = [line for line in lines if live.key.encode() not in line]
        if (self.rng.random() < 0.3 or not kept) and path not in self.touched:
            del self.files[path]
            self.write(f"D {path}\n")
        else:
            self.files[path] = (lang, kept)
            self.put(path, kept)

    def feature_branch(self, number: int, plant: bool) -> None:
        """Three commits adding files on a branch, then a merge commit bringing them to main."""
        self.branch_count += 1
        ref = f"refs/heads/feature/{self.rng.choice(WORDS)}-{self.branch_count}"
        tip = self.main_tip
        added: dict[str, tuple[Lang, list[bytes]]] = {}
        for step in range(3):
            message = f"feature {self.branch_count}: {self.gen.sentence()}"
            mark, name, email = self.begin(ref, message, tip)
            lang = self.pick_lang()
            path = f"features/f{self.branch_count}/{gen_tree.file_name(self.gen, lang)}"
            lines = self.new_file(lang)
            if plant and step == 1:
                kind = KIND_CYCLE[len(self.planted) % len(KIND_CYCLE)]
                line, key = self.key_line(lang, kind)
                lines = [line, *lines]
                self.record(kind, key, mark, name, email, path, 1)
            added[path] = (lang, lines)
            self.put(path, lines)
            tip = mark
        self.begin("refs/heads/main", f"Merge branch '{ref[11:]}'", self.main_tip, merge=tip)
        for path, (_, lines) in added.items():
            self.put(path, lines)
        self.files.update(added)
        self.main_tip = self.mark

    def run(self) -> None:
        self.initial()
        for number in range(2, self.args.commits + 1):
            self.ordinary(number)
            if self.commits >= self.args.commits:
                break
        self.write("done\n")


def generate(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(out)], check=True)
    marks = out.resolve() / "keyleak-marks"
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
        cwd=out,
        stdin=subprocess.PIPE,
    )
    assert importer.stdin is not None
    history = History(args, importer.stdin)
    history.run()
    importer.stdin.close()
    if importer.wait() != 0:
        sys.exit("git fast-import failed")
    resolved = dict(line.split() for line in marks.read_text().splitlines())
    marks.unlink()
    subprocess.run(["git", "gc", "-q"], cwd=out, check=True)
    planted = []
    for plant in history.planted:
        plant.commit = resolved[plant.commit]
        plant.removed = resolved[plant.removed] if plant.removed else None
        planted.append(asdict(plant))
    return {
        "seed": args.seed,
        "commits": history.commits,
        "files": args.files,
        "planted": planted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("benchmarks/out/history.git"))
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--keys", type=int, default=48)
    parser.add_argument("--branch-every", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    manifest = generate(args.out, args)
    manifest_path = args.out.parent / (args.out.name.removesuffix(".git") + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(
        f"{args.out}: {manifest['commits']} commits, {len(manifest['planted'])} keys planted "
        f"({time.perf_counter() - started:.1f}s); manifest {manifest_path}"
    )


if __name__ == "__main__":
    main()
