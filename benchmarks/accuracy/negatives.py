"""Hard negatives: files full of things that look like secrets and are not.

Placeholders and documentation examples, environment and secret-manager lookups, hashes,
UUIDs, git SHAs, lockfile integrity strings, minified bundles, base64 images and fonts, CSS
class names such as `sk-spinner`, test fixtures with obviously fake values, public keys, long
random-looking identifiers, and connection strings, dotfile credentials, Kubernetes Secrets and
age recipients that hold placeholders or public halves. Any finding in one of these files is a
false positive.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from collections.abc import Callable

from filler import Words, js_lines, prose, python_lines, yaml_lines

Negative = Callable[[Words], tuple[str, str]]
ALNUM = string.ascii_letters + string.digits
#: the alphabet Kubernetes uses for generated name suffixes
POD_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


def hexstr(w: Words, length: int) -> str:
    return "".join(w.rng.choice("0123456789abcdef") for _ in range(length))


def b64bytes(w: Words, size: int, header: bytes = b"") -> str:
    return base64.b64encode(header + w.rng.randbytes(size)).decode()


def uid(w: Words) -> str:
    return str(uuid.UUID(int=w.rng.getrandbits(128), version=4))


def placeholders(w: Words) -> tuple[str, str]:
    lines = [
        "OPENAI_API_KEY=sk-...",
        "OPENAI_API_KEY=sk-proj-...",
        "ANTHROPIC_API_KEY=sk-ant-...",
        "ANTHROPIC_API_KEY=<your-anthropic-key>",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "AWS_ACCESS_KEY_ID=<your-access-key-id>",
        "AWS_SECRET_ACCESS_KEY=<your-secret-access-key>",
        "STRIPE_SECRET_KEY=sk_live_...",
        "SLACK_BOT_TOKEN=xoxb-your-bot-token",
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}/app",
        # split so that this source itself is not a finding of keyleak's XML-element rule
        "REDIS_URL=redis://:<password>" + "@localhost:6379/0",
        "SECRET_KEY=change-me",
        "SECRET_KEY=changeme",
        "JWT_SECRET=your-jwt-secret-here",
        "API_KEY=YOUR_API_KEY",
        "API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "PASSWORD=********",
        "SMTP_PASSWORD=",
        "CLIENT_SECRET=<client-secret>",
        "HF_TOKEN=hf_...",
        "password = ${DB_PASSWORD}",
        'api_key: "{{ .Values.apiKey }}"',
        "password: '{{ vault_db_password }}'",
        'token = "%(auth_token)s"',
        "secret: REPLACE_ME",
        "access_token: TODO",
        "client_secret: ${{ secrets.CLIENT_SECRET }}",
    ]
    picked = w.rng.sample(lines, 8)
    name = w.rng.choice([".env.example", f"{w.word()}.example.yaml", "settings.sample.ini"])
    return name, "\n".join(picked) + "\n"


def docs(w: Words) -> tuple[str, str]:
    text = (
        f"# {w.sentence()}\n\n{prose(w)}"
        "## Configuration\n\n"
        "Create a key in the dashboard. OpenAI keys look like `sk-...` (project keys start with "
        "`sk-proj-`), Anthropic keys like `sk-ant-api03-...`, GitHub tokens start with `ghp_` "
        "followed by 36 characters.\n\n"
        '```sh\nexport OPENAI_API_KEY="<your-key>"\nexport GITHUB_TOKEN="$(gh auth token)"\n'
        'curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com/v1/models\n```\n\n'
        "| variable | example |\n| --- | --- |\n| `API_KEY` | `your-api-key-here` |\n"
        "| `DB_PASSWORD` | `<password>` |\n"
        "| `SECRET_KEY` | `replace-with-a-long-random-string` |\n\n"
        f"{prose(w)}"
    )
    return f"{w.word()}.md", text


def env_lookups(w: Words) -> tuple[str, str]:
    variants = [
        (
            "py",
            'import os\n\nAPI_KEY = os.environ["OPENAI_API_KEY"]\n'
            'password = os.getenv("DB_PASSWORD")\nsecret_key = os.environ.get("SECRET_KEY", "")\n'
            "token = settings.GITHUB_TOKEN\nclient_secret = get_secret('oauth/client-secret')\n",
        ),
        (
            "js",
            "const apiKey = process.env.OPENAI_API_KEY;\n"
            "const password = process.env['DB_PASSWORD'] ?? '';\n"
            "const { token } = await secrets.get('github-token');\n",
        ),
        (
            "go",
            'package main\n\nimport "os"\n\nvar password = os.Getenv("DB_PASSWORD")\n'
            'var apiKey, _ = os.LookupEnv("API_KEY")\n',
        ),
        (
            "java",
            'String password = System.getenv("DB_PASSWORD");\n'
            'String apiKey = config.getProperty("api.key");\n',
        ),
        (
            "yaml",
            "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n"
            "        name: db-credentials\n        key: password\n"
            "  - name: API_TOKEN\n    value: ${{ secrets.API_TOKEN }}\n"
            "password: vault:secret/data/db#password\n"
            "token: '{{resolve:ssm-secure:/prod/api/token:1}}'\n",
        ),
        (
            "tf",
            'resource "aws_db_instance" "db" {\n  password = var.db_password\n'
            "  master_password = random_password.db.result\n}\n",
        ),
        (
            "rb",
            "password = ENV.fetch('DB_PASSWORD')\n"
            "api_key = Rails.application.credentials.dig(:stripe, :secret_key)\n",
        ),
        (
            "php",
            "<?php\n$password = getenv('DB_PASSWORD');\n$apiKey = $_ENV['API_KEY'];\n"
            "'password' => env('DB_PASSWORD'),\n",
        ),
    ]
    ext, text = w.rng.choice(variants)
    return f"{w.word()}.{ext}", text


def hashes(w: Words) -> tuple[str, str]:
    style = w.rng.randrange(4)
    if style == 0:
        lines = [f"{hexstr(w, 64)}  {w.word()}-{w.number()}.tar.gz" for _ in range(12)]
        return "SHA256SUMS", "\n".join(lines) + "\n"
    if style == 1:
        text = (
            f'EXPECTED_SHA256 = "{hexstr(w, 64)}"\nLEGACY_MD5 = "{hexstr(w, 32)}"\n'
            f'CACHE_KEY_SHA1 = "{hexstr(w, 40)}"\nfile_hash = "{hexstr(w, 64)}"\n'
            f'digest = "sha256:{hexstr(w, 64)}"\n'
        )
        return f"{w.word()}_checksums.py", text
    if style == 2:
        text = (
            f'class {w.pascal()} < Formula\n  url "https://example.org/{w.word()}.tar.gz"\n'
            f'  sha256 "{hexstr(w, 64)}"\nend\n'
        )
        return f"{w.word()}.rb", text
    lines = [
        f"github.com/{w.word()}/{w.word()} v1.{w.number()}.0 h1:{b64bytes(w, 32)}"
        for _ in range(10)
    ]
    return "go.sum", "\n".join(lines) + "\n"


def uuids(w: Words) -> tuple[str, str]:
    records = [
        {"id": uid(w), "tenant_id": uid(w), "request_id": uid(w), "name": w.word()}
        for _ in range(8)
    ]
    return f"{w.word()}_fixtures.json", json.dumps(records, indent=2) + "\n"


def git_shas(w: Words) -> tuple[str, str]:
    if w.rng.random() < 0.5:
        steps = "\n".join(
            f"      - uses: {w.word()}/{w.word()}@{hexstr(w, 40)}  # v{w.rng.randint(1, 5)}"
            for _ in range(5)
        )
        head = "name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        text = f"{head}{steps}\n"
        return f"{w.word()}.yml", text
    entries = "\n".join(
        f"- {w.sentence()} ({hexstr(w, 40)})\n- {w.sentence()} ({hexstr(w, 7)})" for _ in range(6)
    )
    return "CHANGELOG.md", f"# Changelog\n\n## 1.{w.number()}.0\n\n{entries}\n"


def lockfile(w: Words) -> tuple[str, str]:
    style = w.rng.randrange(3)
    if style == 0:
        packages = {
            f"node_modules/{w.word()}-{w.word()}": {
                "version": f"{w.rng.randint(0, 9)}.{w.rng.randint(0, 20)}.{w.rng.randint(0, 9)}",
                "resolved": f"https://registry.npmjs.org/{w.word()}/-/{w.word()}-1.0.0.tgz",
                "integrity": "sha512-" + b64bytes(w, 64),
            }
            for _ in range(15)
        }
        document = {"name": w.word(), "lockfileVersion": 3, "packages": packages}
        return "package-lock.json", json.dumps(document, indent=2) + "\n"
    if style == 1:
        blocks = [
            f'{w.word()}@^1.0.0:\n  version "1.{w.number()}.0"\n'
            f'  resolved "https://registry.yarnpkg.com/{w.word()}/-/{w.word()}-1.0.0.tgz'
            f'#{hexstr(w, 40)}"\n  integrity sha512-{b64bytes(w, 64)}\n'
            for _ in range(12)
        ]
        return "yarn.lock", "\n".join(blocks)
    blocks = [
        f'[[package]]\nname = "{w.word()}"\nversion = "2.{w.number()}"\nfiles = [\n'
        f'    {{file = "{w.word()}-2.0-py3-none-any.whl", hash = "sha256:{hexstr(w, 64)}"}},\n]\n'
        for _ in range(10)
    ]
    return "poetry.lock", "\n".join(blocks)


def minified_bundle(w: Words) -> tuple[str, str]:
    parts = []
    for index in range(400):
        name = "".join(w.rng.choice(string.ascii_letters) for _ in range(w.rng.randint(1, 2)))
        chunk = "".join(w.rng.choice(ALNUM) for _ in range(8))
        parts.append(
            f'{index}:function({name},t,n){{"use strict";n.d(t,{{{name}:()=>{w.camel()}}});'
            f'var r=n({w.number()}),o="{w.word()}-{chunk.lower()}";'
            f"{name}.exports=r.{w.word()}(o)}}"
        )
    text = "(self.webpackChunkapp=self.webpackChunkapp||[]).push([[" + str(w.number()) + "],{"
    return f"main.{hexstr(w, 8)}.js", text + ",".join(parts) + "}]);\n"


def data_uris(w: Words) -> tuple[str, str]:
    png = b64bytes(w, w.rng.randint(1500, 6000), b"\x89PNG\r\n\x1a\n")
    font = b64bytes(w, w.rng.randint(3000, 9000), b"wOF2")
    text = (
        f".{w.word()}-icon {{\n  background-image: url(data:image/png;base64,{png});\n}}\n\n"
        f"@font-face {{\n  font-family: '{w.pascal()}';\n"
        f"  src: url(data:font/woff2;base64,{font}) format('woff2');\n}}\n"
    )
    return f"{w.word()}.css", text


def css_classes(w: Words) -> tuple[str, str]:
    names = [
        "sk-spinner",
        "sk-spinner-pulse",
        "sk-cube-grid",
        "sk-fading-circle",
        "sk-circle1",
        "sk-double-bounce",
        "sk-chase-dot",
        "sk-wave",
        "sk-folding-cube",
        "sk-three-bounce",
    ]
    rules = "\n".join(
        f".{name} {{\n  width: {w.rng.randint(10, 60)}px;\n"
        f"  animation: {name}-anim 1.{w.rng.randint(0, 9)}s infinite ease-in-out;\n}}"
        for name in w.rng.sample(names, 6)
    )
    html = " ".join(f'<div class="{name}"></div>' for name in names[:4])
    if w.rng.random() < 0.5:
        return f"{w.word()}.css", rules + "\n"
    return f"{w.word()}.html", f"<html><body>\n{html}\n</body></html>\n"


def test_fixtures(w: Words) -> tuple[str, str]:
    # assembled, so that this source holds neither AWS's documentation key id nor a fixture
    # value keyleak's generic rules report
    aws_docs_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    not_real = "not-a-real-" + "secret"
    text = (
        "import pytest\n\n\n"
        f"def test_{w.snake()}():\n"
        '    client = Client(api_key="test-api-key", password="test")\n'
        '    assert client.login("admin", "password123")\n\n\n'
        "@pytest.fixture\ndef credentials():\n"
        f'    return {{"token": "dummy-token", "client_secret": "{not_real}",\n'
        '            "api_key": "fake-api-key-for-tests", "password": "hunter2"}\n\n\n'
        f'FAKE_AWS_KEY_ID = "{aws_docs_id}"\n'
        'MOCK_OPENAI_KEY = "sk-test-mock"\n'
        'DUMMY_SECRET = "secret"\n'
    )
    return f"test_{w.word()}.py", text


def identifiers(w: Words) -> tuple[str, str]:
    def nano(length: int) -> str:
        return "".join(w.rng.choice(ALNUM + "_-") for _ in range(length))

    pods = "\n".join(
        f"{w.word()}-{hexstr(w, 10)}-{''.join(w.rng.choice(POD_SUFFIX) for _ in range(5))}"
        f"   1/1   Running   0   {w.rng.randint(1, 59)}m"
        for _ in range(6)
    )
    modules = ", ".join(f'"{w.word()}": "{w.pascal()}_{w.word()}__{nano(5)}"' for _ in range(6))
    text = (
        f"# pods\n{pods}\n\n"
        f'{{"buildId": "{nano(21)}", "page": "/{w.word()}"}}\n'
        f"{{{modules}}}\n"
        f"image: registry.example.com/{w.word()}@sha256:{hexstr(w, 64)}\n"
        f"s3://{w.word()}-assets/uploads/{hexstr(w, 32)}/{w.word()}.jpg\n"
        f"arn:aws:iam::{w.rng.randint(10**11, 10**12 - 1)}:role/{w.pascal()}Role\n"
        f'<script src="/static/{w.word()}.js" integrity="sha384-{b64bytes(w, 48)}"></script>\n'
        f"stripe_publishable_key = pk_live_{nano(24).replace('-', 'x').replace('_', 'y')}\n"
    )
    return f"{w.word()}_inventory.txt", text


def public_keys(w: Words) -> tuple[str, str]:
    body = b64bytes(w, 270)
    pem = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    text = (
        f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{b64bytes(w, 32)[:43]} {w.word()}@{w.word()}\n"
        f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{b64bytes(w, 256)} deploy@ci\n\n"
        f"-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----\n\n"
        f"-----BEGIN CERTIFICATE-----\n{pem}\n-----END CERTIFICATE-----\n"
    )
    return f"{w.word()}_keys.pub", text


def notebook_outputs(w: Words) -> tuple[str, str]:
    png = b64bytes(w, w.rng.randint(2000, 8000), b"\x89PNG\r\n\x1a\n")
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# {w.sentence()}\n"]},
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {},
            "source": ["import os\n", 'token = os.environ["HF_TOKEN"]\n', "df.plot()\n"],
            "outputs": [
                {
                    "output_type": "display_data",
                    "data": {"image/png": png, "text/plain": ["<Figure size 640x480>"]},
                    "metadata": {},
                }
            ],
        },
        {
            "cell_type": "code",
            "execution_count": 4,
            "metadata": {},
            "source": ["df['digest'].head()\n"],
            "outputs": [
                {
                    "output_type": "execute_result",
                    "execution_count": 4,
                    "data": {"text/plain": [f"{i}    {hexstr(w, 40)}\n" for i in range(5)]},
                    "metadata": {},
                }
            ],
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return f"{w.snake()}.ipynb", json.dumps(document, indent=1) + "\n"


def code_with_secret_words(w: Words) -> tuple[str, str]:
    """Names that sound secret next to values that are not (types, calls, short words)."""
    text = (
        f"{python_lines(w)}"
        "def rotate(password: str, token: Optional[str] = None) -> bool:\n"
        "    secret_key = generate_key()\n"
        "    password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())\n"
        "    token_type = 'bearer'\n"
        "    api_key_header = 'X-API-Key'\n"
        "    password_field = forms.CharField(widget=forms.PasswordInput)\n"
        "    secret_name = f'{env}/db/password'\n"
        "    return check_password(password, password_hash)\n\n\n"
        f"{python_lines(w)}"
    )
    if w.rng.random() < 0.5:
        return f"{w.word()}.py", text
    js_text = (
        f"{js_lines(w)}"
        "const passwordInput = document.querySelector('#password');\n"
        "const tokenKey = 'auth.token';\n"
        "export const SECRET_HEADER = 'x-webhook-signature';\n"
        "if (!apiKey) throw new Error('apiKey is required');\n"
        f"{js_lines(w)}"
    )
    return f"{w.camel()}.js", js_text


#: the bech32 alphabet of age keys
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def shape_lookalikes(w: Words) -> tuple[str, str]:
    """What the shapes that are no one provider's (connection strings, dotfile credentials,
    Kubernetes Secrets, JWTs, age keys) look like when they hold no secret: placeholders,
    templated values, public halves, base64url that is not a token."""
    host = f"{w.word()}.internal"
    recipient = "age1" + "".join(w.rng.choice(BECH32) for _ in range(58))
    not_a_token = ".".join(
        base64.urlsafe_b64encode(w.sentence().encode()).decode().rstrip("=") for _ in range(3)
    )
    lines = [
        f"Server=tcp:{host},1433;Database={w.word()};User Id={w.word()};Password=${{DB_PASSWORD}};",
        f"jdbc:postgresql://{host}:5432/{w.word()}?user={w.word()}&password={{{{ db_password }}}}",
        f"REDIS_URL=redis://:${{REDIS_PASSWORD}}@{host}:6379/0",
        f"ldap_uri: ldaps://{host}:636  # bind password from the vault",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
        "password = <your PyPI API token>",
        f"machine {host} login {w.word()} password $NETRC_PASSWORD",
        f'{{"auths": {{"{host}": {{}}}}, "credsStore": "desktop"}}',
        f"https://${{GIT_USER}}:${{GIT_TOKEN}}@{host}/{w.word()}.git",
        f"# age recipient (public): {recipient}",
        f"build_tag = {not_a_token}",
    ]
    chosen = w.rng.sample(lines, 6)
    secret_manifest = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {w.word()}\ntype: Opaque\n"
        f"stringData:\n  password: ${{{w.upper()}_PASSWORD}}\n"
    )
    text = (
        f"# {w.sentence()}\n\n{prose(w)}```\n" + "\n".join(chosen) + "\n```\n\n"
        f"{prose(w)}```yaml\n{secret_manifest}```\n"
    )
    return f"{w.word()}-setup.md", text


def yaml_config(w: Words) -> tuple[str, str]:
    text = (
        f"{yaml_lines(w)}"
        "auth:\n  password_min_length: 12\n  token_ttl: 3600\n  secret_rotation_days: 90\n"
        "  api_key_header: X-Api-Key\n  password_policy: strong\n"
        f"{yaml_lines(w)}"
    )
    return f"{w.word()}.yaml", text


NEGATIVES: dict[str, Negative] = {
    "placeholder": placeholders,
    "docs-example": docs,
    "env-lookup": env_lookups,
    "hash": hashes,
    "uuid": uuids,
    "git-sha": git_shas,
    "lockfile": lockfile,
    "minified-js": minified_bundle,
    "data-uri": data_uris,
    "css-class": css_classes,
    "test-fixture": test_fixtures,
    "identifier": identifiers,
    "public-key": public_keys,
    "notebook-output": notebook_outputs,
    "secret-words": code_with_secret_words,
    "yaml-config": yaml_config,
    "shape-lookalike": shape_lookalikes,
}
