"""Files that hold a secret only in base64: the ways configuration gets encoded in practice."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from filler import Words, js_lines, python_lines, yaml_lines
from formats import camel, ident

Renderer = Callable[[Words, str, str], tuple[str, str]]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def kubernetes_secret(w: Words, name: str, value: str) -> tuple[str, str]:
    """A `Secret` manifest: each `data:` value is the base64 of the raw value."""
    key = "tls.key" if "PRIVATE KEY" in value else ident(name).lower()
    text = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {w.word()}-{w.word()}\n"
        f"  namespace: {w.word()}\ntype: Opaque\ndata:\n"
        f"  {w.word()}_user: {b64(w.word())}\n  {key}: {b64(value)}\n"
    )
    return f"{w.word()}-secret.yaml", text


def env_file_in_json(w: Words, name: str, value: str) -> tuple[str, str]:
    """A JSON document carrying a whole `.env` file as base64 (CI variables, Helm values)."""
    env = f"{w.upper()}={w.word()}\n{ident(name).upper()}={json.dumps(value)}\n"
    document = {"name": w.word(), "envFile": b64(env), "replicas": w.rng.randint(1, 5)}
    return f"{w.word()}-values.json", json.dumps(document, indent=2) + "\n"


def docker_config(w: Words, name: str, value: str) -> tuple[str, str]:
    """`~/.docker/config.json`: `auth` is the base64 of `user:secret`."""
    if "\n" in value:
        return kubernetes_secret(w, name, value)
    document = {"auths": {f"registry.{w.word()}.io": {"auth": b64(f"{w.word()}:{value}")}}}
    return "config.json", json.dumps(document, indent=2) + "\n"


#: documents that hold the secret without the name it was assigned to
NAMELESS = frozenset({"docker-auth"})


def python_blob(w: Words, name: str, value: str) -> tuple[str, str]:
    """A JSON credentials document, base64-encoded inside Python source."""
    blob = b64(json.dumps({name: value, "project": w.word()}))
    text = (
        f"import base64\nimport json\n\n{python_lines(w)}"
        f'CREDENTIALS = json.loads(base64.b64decode("{blob}"))\n\n\n{python_lines(w)}'
    )
    return f"{w.snake()}.py", text


def js_atob(w: Words, name: str, value: str) -> tuple[str, str]:
    text = f"{js_lines(w)}const {camel(name)} = atob('{b64(value)}');\n\n{js_lines(w)}"
    return f"{w.camel()}.js", text


def yaml_b64_field(w: Words, name: str, value: str) -> tuple[str, str]:
    text = f"{yaml_lines(w)}{w.word()}:\n  {ident(name).lower()}_base64: {b64(value)}\n"
    return f"{w.word()}.yaml", text


RENDERERS: dict[str, Renderer] = {
    "k8s-secret": kubernetes_secret,
    "json-envfile": env_file_in_json,
    "docker-auth": docker_config,
    "python-b64-json": python_blob,
    "js-atob": js_atob,
    "yaml-b64": yaml_b64_field,
}
