"""Shapes that are not one provider's (issue 18, item 2): password hashes with a user,
connection strings, Kubernetes Secrets, PuTTY and age keys, credentials in dotfiles. Every value
is built at run time with a random body."""

from __future__ import annotations

import base64
import random
import string
from pathlib import Path

import pytest

from scanner.match.chunk import chunk_matches
from scanner.match.engine import build_matcher
from scanner.model import Chunk, Provenance, Severity
from scanner.pipeline.findings import make_findings
from scanner.rules import load_rules
from tests.cli_helpers import scan_json
from tests.keys import ALNUM, jwt_token, random_text, secret_value

SHIPPED = load_rules()
RULES = SHIPPED.by_id()
CRYPT = "./" + string.digits + string.ascii_letters
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
B64 = ALNUM + "+/"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def found(text: str, path: str = "file.txt", engine: str = "regex") -> list[tuple[str, str]]:
    """(rule id, secret) of what a scan of `text` at `path` reports."""
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, engine)  # type: ignore[arg-type]
    chunk = Chunk(text.encode(), Provenance(path))
    return [(m.rule_id, m.secret.decode()) for m in chunk_matches(chunk, matcher, RULES).matches]


def apr1() -> str:
    return f"$apr1${random_text(8, CRYPT)}${random_text(22, CRYPT)}"


def bcrypt() -> str:
    return f"$2b$12${random_text(53, CRYPT)}"


def sha512_crypt() -> str:
    return f"$6${random_text(16, CRYPT)}${random_text(86, CRYPT)}"


def argon2() -> str:
    return f"$argon2id$v=19$m=65536,t=3,p=4${random_text(22, B64)}${random_text(43, B64)}"


def django_pbkdf2() -> str:
    return f"pbkdf2_sha256$600000${random_text(22)}${random_text(43, B64)}="


def age_key() -> str:
    return "AGE-SECRET-KEY-1" + random_text(58, BECH32)


def ppk(encryption: str) -> str:
    lines = "\n".join(random_text(64, B64) for _ in range(2))
    return (
        f"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: {encryption}\n"
        f"Comment: deploy@ci\nPublic-Lines: 2\n{lines}\nPrivate-Lines: 1\n"
        f"{random_text(64, B64)}\nPrivate-MAC: {random_text(64, '0123456789abcdef')}\n"
    )


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_password_hashes_with_a_user_and_in_config(engine: str) -> None:
    htpasswd, shadow, config = apr1(), sha512_crypt(), [bcrypt(), argon2(), django_pbkdf2()]
    assert ("htpasswd-hash", htpasswd) in found(f"admin:{htpasswd}\n", engine=engine)
    line = f"root:{shadow}:19700:0:99999:7:::\n"
    assert ("shadow-password-hash", shadow) in found(line, engine=engine)
    for value in config:
        text = f'ADMIN_HASH = "{value}"\n'
        assert ("password-hash-in-config", value) in found(text, engine=engine)
    # an htpasswd line is one finding, not a second one as a hash in configuration
    bcrypt_user = bcrypt()
    assert found(f"ops:{bcrypt_user}\n", engine=engine) == [("htpasswd-hash", bcrypt_user)]
    assert found("root:*:19700:0:99999:7:::\nnobody:!:19700::::::\n", engine=engine) == []


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_connection_strings(engine: str) -> None:
    password = secret_value()
    cases = {
        f'"Server=sql.acme.internal;Database=app;User Id=app;Password={password};"': (
            "odbc-connection-string-password"
        ),
        f"DRIVER={{ODBC Driver 18}};SERVER=db;UID=r;PWD={{{password}}};": (
            "odbc-connection-string-password"
        ),
        f"jdbc:mysql://db.internal:3306/app?user=app&password={password}": "jdbc-url-password",
        f"jdbc:postgresql://pg/app?user=app&password={password}&ssl=true": "jdbc-url-password",
        f"jdbc:oracle:thin:app/{password}@ora.internal:1521/ORCL": "jdbc-oracle-password",
        f"redis://cache.internal:6379/0?password={password}": "uri-query-password",
        f"amqp://mq.internal/?username=w&password={password}": "uri-query-password",
    }
    for text, rule_id in cases.items():
        assert found(text, engine=engine) == [(rule_id, password)], text
    # the user:password@host form stays generic-credentials-url's, reported once
    url = f"mongodb://app:{password}@db.internal:27017/app"
    assert found(url, engine=engine) == [("generic-credentials-url", password)]
    assert found("Server=db;Database=app;Integrated Security=SSPI;", engine=engine) == []


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_dotfile_credentials(engine: str) -> None:
    token, password = random_text(32), secret_value()
    uuid_token = "-".join(random_text(n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    auth = b64(f"ci-bot:{password}")
    assert found(f"//registry.npmjs.org/:_authToken={uuid_token}\n", engine=engine) == [
        ("npmrc-auth-token", uuid_token)
    ]
    assert ("npmrc-password", auth) in found(f"_auth={auth}\n", engine=engine)
    pypirc = f"[pypi]\nusername = acme\npassword = {password}\n"
    assert found(pypirc, engine=engine) == [("pypirc-password", password)]
    netrc = f"machine git.acme.internal\n  login ci\n  password {token}\n"
    assert found(netrc, engine=engine) == [("netrc-password", token)]
    docker = f'{{"auths": {{"registry.acme.internal": {{"auth": "{auth}"}}}}}}'
    assert ("docker-config-auth", auth) in found(docker, "home/.docker/config.json", engine)
    line = f"https://ci-bot:{token}@git.acme.internal\n"
    assert found(line, ".git-credentials", engine) == [("git-credentials-password", token)]
    # a URL with a path is not a credential-store line: a password in a URL, as before
    clone = f"git clone https://ci-bot:{token}@git.acme.internal/team/app.git\n"
    assert found(clone, "notes.txt", engine) == [("generic-credentials-url", token)]


def test_a_provider_key_in_a_dotfile_is_the_providers_finding() -> None:
    from tests.keys import openai_key

    key = openai_key()
    netrc = f"machine api.openai.com login me password {key}\n"
    assert [rule for rule, secret in found(netrc) if secret == key] == ["openai-project-key"]
    jwt = jwt_token({"alg": "HS256"}, {"role": "service_role", "iss": "supabase"})
    text = f"SUPABASE_SERVICE_ROLE_KEY={jwt}\n"
    assert [rule for rule, secret in found(text) if secret == jwt] == ["supabase-service-role-key"]


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_age_secret_key(engine: str) -> None:
    key = age_key()
    assert found(f"# public key: age1xyz\n{key}\n", engine=engine) == [("age-secret-key", key)]
    assert found(key[:-1], engine=engine) == []


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_kubernetes_secret_data_is_reported_decoded_and_string_data_as_written(
    engine: str,
) -> None:
    api_key, session, plain = secret_value(), secret_value(), secret_value()
    manifest = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n"
        f"  username: {b64('admin-user')}\n  api: {b64(api_key)}\n  session: {b64(session)}\n"
        f"stringData:\n  host: db.internal\n  signing: {plain}\n"
    )
    reported = found(manifest, "deploy/secret.yaml", engine)
    assert sorted(reported) == sorted(
        [
            ("kubernetes-secret-data", api_key),
            ("kubernetes-secret-data", session),
            ("kubernetes-secret-string-data", plain),
        ]
    )
    # bytes that are not text (a keystore, a random key) are reported as written
    binary = base64.b64encode(bytes(random.randrange(0x80, 0xC0) for _ in range(24))).decode()
    keystore = f"kind: Secret\ndata:\n  keystore.p12: {binary}\n"
    assert found(keystore, engine=engine) == [("kubernetes-secret-data", binary)]
    # a ConfigMap's data is configuration, not base64 secrets
    config_map = manifest.replace("kind: Secret", "kind: ConfigMap")
    assert not any(rule.startswith("kubernetes-") for rule, _ in found(config_map))


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_only_values_under_data_and_string_data_are_a_secrets_values(engine: str) -> None:
    """Which section holds a line is read back from the line, not by a look-back pattern: a
    Secret's labels and annotations are not its values, and a long Secret is read whole."""
    labels = "".join(f"    label{n}: {secret_value()}\n" for n in range(60))
    late = secret_value()
    filler = "".join(f"  item{n}: {b64(secret_value())}\n" for n in range(60))
    manifest = (
        f"kind: Secret\nmetadata:\n  labels:\n{labels}  name: {secret_value()}\n"
        f"data:\n{filler}  late: {b64(late)}\n"
    )
    reported = found(manifest, "secret.yaml", engine)
    assert len(reported) == 61
    assert ("kubernetes-secret-data", late) in reported
    assert all(rule == "kubernetes-secret-data" for rule, _ in reported)


def test_kubernetes_data_finding_shows_the_encoded_line_redacted() -> None:
    value = secret_value()
    encoded = b64(value)
    chunk = Chunk(f"kind: Secret\ndata:\n  api: {encoded}\n".encode(), Provenance("s.yaml"))
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "regex")
    findings, _ = make_findings(chunk, chunk_matches(chunk, matcher, RULES).matches, RULES)
    (finding,) = findings
    assert (finding.rule_id, finding.secret, finding.encoding) == (
        "kubernetes-secret-data",
        value,
        ("base64",),
    )
    assert finding.location.line == 3
    assert value not in finding.redacted and encoded not in finding.line_text


@pytest.mark.parametrize(
    ("encryption", "severity", "shown"),
    [
        ("none", Severity.CRITICAL, "none"),
        ("aes256-cbc", Severity.MEDIUM, "aes256-cbc (passphrase-protected)"),
    ],
)
def test_putty_key_severity_follows_its_encryption(
    encryption: str, severity: Severity, shown: str
) -> None:
    chunk = Chunk(ppk(encryption).encode(), Provenance("deploy.ppk"))
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "regex")
    findings, _ = make_findings(chunk, chunk_matches(chunk, matcher, RULES).matches, RULES)
    (finding,) = findings
    assert finding.rule_id == "putty-private-key"
    assert finding.severity is severity
    assert dict(finding.details) == {
        "key type": "ssh-ed25519",
        "format": "PuTTY version 3",
        "encryption": shown,
    }


def test_shape_rules_are_shapes_with_their_format_declared() -> None:
    shapes = [
        "jwt",
        "htpasswd-hash",
        "shadow-password-hash",
        "password-hash-in-config",
        "odbc-connection-string-password",
        "jdbc-url-password",
        "jdbc-oracle-password",
        "uri-query-password",
        "kubernetes-secret-data",
        "kubernetes-secret-string-data",
        "age-secret-key",
        "npmrc-auth-token",
        "npmrc-password",
        "pypirc-password",
        "netrc-password",
        "git-credentials-password",
        "docker-config-auth",
    ]
    for rule_id in shapes:
        rule = RULES[rule_id]
        assert rule.kind == "shape", rule_id
        assert rule.origin == "documented" and rule.reference.startswith("https://"), rule_id
        assert rule.format, rule_id
        assert len(rule.examples) >= 2 and len(rule.negative_examples) >= 2, rule_id


#: one file per shape, as it would be committed, and the rule that must report it
def shape_files(rng: random.Random) -> dict[str, tuple[str, str, str]]:
    password, token = secret_value(rng), random_text(32, rng=rng)
    expiring = jwt_token({"alg": "HS256"}, {"sub": "svc", "exp": 4_000_000_000})
    return {
        "jwt": ("client.py", f'TOKEN = "{expiring}"\n', expiring),
        "htpasswd-hash": ("nginx/.htpasswd", f"admin:{(h := apr1())}\n", h),
        "shadow-password-hash": ("etc/shadow", f"root:{(s := sha512_crypt())}:1::::::\n", s),
        "password-hash-in-config": ("seed.yaml", f"admin_hash: {(c := bcrypt())}\n", c),
        "odbc-connection-string-password": (
            "appsettings.json",
            f'{{"Db": "Server=sql;Database=app;User Id=app;Password={password};"}}\n',
            password,
        ),
        "jdbc-url-password": (
            "application.properties",
            f"spring.datasource.url=jdbc:mysql://db/app?user=app&password={password}\n",
            password,
        ),
        "uri-query-password": (
            "settings.py",
            f'R = "redis://c:6379/0?password={password}"\n',
            password,
        ),
        "kubernetes-secret-data": (
            "k8s/secret.yaml",
            f"kind: Secret\ndata:\n  api: {b64(password)}\n",
            password,
        ),
        "kubernetes-secret-string-data": (
            "k8s/secret.yaml",
            f"kind: Secret\nstringData:\n  api: {password}\n",
            password,
        ),
        "putty-private-key": ("keys/deploy.ppk", ppk("none"), ""),
        "age-secret-key": ("keys.txt", f"{(a := age_key())}\n", a),
        "npmrc-auth-token": (".npmrc", f"//registry.npmjs.org/:_authToken={token}\n", token),
        "npmrc-password": (".npmrc", f"_auth={(n := b64('ci:' + password))}\n", n),
        "pypirc-password": (".pypirc", f"[pypi]\nusername = a\npassword = {password}\n", password),
        "netrc-password": (".netrc", f"machine h login u password {token}\n", token),
        "git-credentials-password": (".git-credentials", f"https://u:{token}@h.internal\n", token),
        "docker-config-auth": (
            ".docker/config.json",
            f'{{"auths": {{"r.internal": {{"auth": "{(d := b64("u:" + password))}"}}}}}}\n',
            d,
        ),
    }


@pytest.mark.parametrize("rule_id", sorted(shape_files(random.Random(0))))
def test_cli_reports_each_shape(
    rule_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, text, secret = shape_files(random.Random())[rule_id]
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(text)
    outcome = scan_json(capsys, tmp_path, ".")
    assert outcome.code == 1
    ours = [f for f in outcome.findings() if f["rule_id"] == rule_id]
    assert len(ours) == 1, outcome.findings()
    if secret:
        assert ours[0]["secret"] == secret
    assert ours[0]["location"]["path"] == path
