"""Generic secrets: a random password or token assigned to a secret-looking name, in the
syntaxes people write, and credentials inside connection URIs."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from filler import Words, go_lines, java_lines, js_lines, python_lines, yaml_lines
from formats import camel, ident

NAMES = (
    "password",
    "passwd",
    "pwd",
    "db_password",
    "DB_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "POSTGRES_PASSWORD",
    "redis_password",
    "smtp_password",
    "secret",
    "client_secret",
    "CLIENT_SECRET",
    "secret_key",
    "SECRET_KEY",
    "api_key",
    "apiKey",
    "API_KEY",
    "auth_token",
    "access_token",
    "token",
    "private_key",
    "jwt_secret",
    "JWT_SECRET",
    "signing_key",
    "encryption_key",
    "webhook_secret",
    "app_secret",
)
#: characters safe in every syntax used below (no quotes, no backslash, no URI delimiters)
SYMBOLS = "-_.!*~"
BASE64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
URI_SAFE = BASE64[:-2] + "-_"


def password(rng: random.Random, base64_alphabet: str = BASE64) -> str:
    """A value shaped like what password managers, `openssl rand` and consoles produce; in a URI
    base64 comes in its URL-safe form, since `/` cannot appear in a URI's password."""
    style = rng.randrange(4)
    if style == 0:
        alphabet = string.ascii_letters + string.digits + SYMBOLS
        chars = [rng.choice(alphabet) for _ in range(rng.randint(14, 24))]
        chars[rng.randrange(len(chars))] = rng.choice(SYMBOLS)
        chars[rng.randrange(len(chars))] = rng.choice(string.digits)
    elif style == 1:
        alnum = string.ascii_letters + string.digits
        chars = [rng.choice(alnum) for _ in range(rng.randint(20, 40))]
    elif style == 2:
        chars = [rng.choice("0123456789abcdef") for _ in range(rng.choice((32, 40, 64)))]
    else:
        # the base64 of 32 random bytes: 43 characters, the last with its low bits zero, and "="
        chars = [rng.choice(base64_alphabet) for _ in range(42)]
        chars += [rng.choice(base64_alphabet[::4]), "="]
    return "".join(chars)


def placeholders(name: str, secret: str) -> dict[str, str]:
    return {
        "n": name,
        "s": secret,
        "N": ident(name).upper(),
        "l": ident(name).lower(),
        "c": camel(name),
        "flag": ident(name).lower().replace("_", "-"),
        "dotted": name.replace("_", "."),
    }


def py(w: Words, body: str) -> str:
    return f"import os\n\n{python_lines(w)}{body}\n\n{python_lines(w)}"


def js(w: Words, body: str) -> str:
    return f"{js_lines(w)}{body}\n{js_lines(w)}"


def go(w: Words, body: str) -> str:
    return f"package {w.word()}\n\n{body}\n{go_lines(w)}"


def java(w: Words, body: str) -> str:
    return f"public class {w.pascal()} {{\n{body}\n{java_lines(w)}}}\n"


def yml(w: Words, body: str) -> str:
    return f"{yaml_lines(w)}{w.word()}:\n{body}{yaml_lines(w)}"


def plain(w: Words, body: str) -> str:
    return body


Wrapper = Callable[[Words, str], str]

#: (syntax, file name, line template, wrapper); `{w}` in a file name is a random word
SYNTAXES: tuple[tuple[str, str, str, Wrapper], ...] = (
    ("py", "{w}.py", '{n} = "{s}"\n', py),
    ("py-dict", "{w}.py", 'CONFIG = {{"{n}": "{s}", "port": 5432}}\n', py),
    ("py-kwarg", "{w}.py", 'conn = connect(host="db", {l}="{s}")\n', py),
    ("js", "{w}.js", "const {c} = '{s}';\n", js),
    ("ts-object", "{w}.ts", 'const settings = {{ {c}: "{s}", debug: false }};\n', js),
    ("go", "{w}.go", 'const {c} = "{s}"\n', go),
    ("go-short", "{w}.go", 'func init() {{\n\t{c} := "{s}"\n\tuse({c})\n}}\n', go),
    ("java", "{W}.java", '    private String {c} = "{s}";\n', java),
    ("java-props", "{W}.java", '    void init() {{ props.setProperty("{n}", "{s}"); }}\n', java),
    ("csharp", "{W}.cs", 'var {c} = "{s}";\n', plain),
    ("ruby", "{w}.rb", "{l} = '{s}'\n", plain),
    ("ruby-hash", "{w}.rb", "config = {{ {l}: '{s}' }}\n", plain),
    ("php", "{w}.php", "<?php\n${c} = '{s}';\n", plain),
    ("php-array", "{w}.php", "<?php\nreturn ['{n}' => '{s}'];\n", plain),
    ("yaml", "{w}.yaml", "  {n}: {s}\n", yml),
    ("yaml-quoted", "{w}.yml", '  {n}: "{s}"\n', yml),
    ("json", "{w}.json", '{{\n  "host": "db",\n  "{n}": "{s}"\n}}\n', plain),
    ("toml", "{w}.toml", '[database]\nhost = "db"\n{n} = "{s}"\n', plain),
    ("ini", "{w}.ini", "[server]\nhost = db\n{n} = {s}\n", plain),
    ("dotenv", ".env", "APP_ENV=production\n{N}={s}\n", plain),
    ("dotenv-quoted", ".env.local", '{N}="{s}"\n', plain),
    ("shell-export", "{w}.sh", '#!/bin/sh\nexport {N}="{s}"\n', plain),
    ("xml-attr", "{w}.xml", '<config>\n  <add key="{n}" value="{s}" />\n</config>\n', plain),
    (
        "spring-property",
        "{w}.xml",
        '<bean>\n  <property name="{c}" value="{s}"/>\n</bean>\n',
        plain,
    ),
    ("xml-element", "{w}.xml", "<settings>\n  <{n}>{s}</{n}>\n</settings>\n", plain),
    ("docker-env", "Dockerfile", "FROM alpine:3.20\nENV {N}={s}\n", plain),
    ("docker-arg", "Dockerfile", 'FROM alpine:3.20\nARG {N}="{s}"\n', plain),
    ("terraform", "{w}.tf", 'resource "aws_db_instance" "main" {{\n  {l} = "{s}"\n}}\n', plain),
    ("cli-flag", "{w}.sh", "#!/bin/sh\n./deploy --{flag}={s} --verbose\n", plain),
    ("cli-flag-space", "{w}.sh", "#!/bin/sh\nmysqladmin -u root --password '{s}' status\n", plain),
    ("properties", "{w}.properties", "app.name=demo\n{dotted}={s}\n", plain),
)


def render_assignment(w: Words, name: str, secret: str) -> tuple[str, str, str]:
    """(syntax, file name, text) of one generic assignment in a random syntax."""
    syntax, file_name, template, wrap = w.rng.choice(SYNTAXES)
    body = template.format(**placeholders(name, secret))
    return syntax, file_name.format(w=w.word(), W=w.pascal()), wrap(w, body)


URI_SCHEMES = (
    ("postgres", "5432/app"),
    ("postgresql", "5432/orders"),
    ("mysql", "3306/shop"),
    ("mongodb", "27017/admin"),
    ("mongodb+srv", "/prod?retryWrites=true"),
    ("redis", "6379/0"),
    ("amqp", "5672/vhost"),
    ("https", "443/api"),
)


def uri(w: Words, secret: str) -> tuple[str, str, str]:
    """A connection URI with the secret as its password, in a random syntax."""
    scheme, tail = w.rng.choice(URI_SCHEMES)
    user = "" if scheme == "redis" and w.rng.random() < 0.5 else w.word()
    host = f"{w.word()}-db.{w.word()}.example.com"
    port_path = tail if tail.startswith("/") else f":{tail}"
    url = f"{scheme}://{user}:{secret}@{host}{port_path}"
    syntax, file_name, line = w.rng.choice(
        [
            ("uri-dotenv", ".env", f"DATABASE_URL={url}\n"),
            ("uri-python", f"{w.word()}.py", f'engine = create_engine("{url}")\n'),
            ("uri-yaml", f"{w.word()}.yaml", f"database:\n  url: {url}\n"),
            ("uri-json", f"{w.word()}.json", f'{{"connectionString": "{url}"}}\n'),
            ("uri-js", f"{w.word()}.js", f"const client = new Client('{url}');\n"),
        ]
    )
    return syntax, file_name, line
