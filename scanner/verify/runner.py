"""A verification run: plan, cache, send (bounded and retried), and attach verdicts to findings."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from scanner.config.verification import VerifySettings
from scanner.errors import ConfigError
from scanner.model import Finding, Rule, ScanResult, Verdict, VerdictStatus
from scanner.redaction import kind_prefix, redact
from scanner.verify.job import Job
from scanner.verify.plan import plan_findings, settle
from scanner.verify.probe import Candidate, Provider
from scanner.verify.registry import Registry, registry_for, shipped_registry
from scanner.verify.shapes import sent_through

Notify = Callable[[str], None]


def warn(message: str) -> None:
    sys.stderr.write(f"keyleak: {message}\n")
    sys.stderr.flush()


def base_url(
    name: str, provider: Provider, notify: Notify, hosts: Mapping[str, str] | None = None
) -> str | None:
    """The provider's official host, or the user's own for a per-customer one (None: the user
    named none), unless `KEYLEAK_<NAME>_BASE_URL` redirects it (tests)."""
    variable = f"KEYLEAK_{name.upper().replace('-', '_')}_BASE_URL"
    override = os.environ.get(variable)
    if not override:
        if provider.user_host:
            host = (hosts or {}).get(name)
            if host and not host.endswith(provider.host_suffix):
                raise ConfigError(
                    f"--verify-host {name}: {host} is not a {provider.host_suffix} host"
                )
            return f"https://{host}" if host else None
        return provider.base_url
    parts = urlsplit(override)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(f"{variable} must be an http(s) URL like http://127.0.0.1:8080")
    url = override.rstrip("/")
    notify(f"warning: verification of {name} keys is redirected to {url} ({variable})")
    return url


def verify_result(
    result: ScanResult, rules: Iterable[Rule], settings: VerifySettings, notify: Notify = warn
) -> ScanResult:
    rules = list(rules)
    checks = dict(settings.checks)
    verifiers = {rule.id: rule_id_verifier(rule, checks) for rule in rules}
    registry = registry_for(rules, checks)
    findings = verify_findings(result.findings, verifiers, settings, notify, registry)
    return dataclasses.replace(result, findings=findings)


def rule_id_verifier(rule: Rule, checks: Mapping[str, str]) -> str | None:
    """The verifier of a rule's findings: the user's check for it, named by its id, else the
    one the rule names."""
    return rule.id if rule.id in checks else rule.verify


def verify_findings(
    findings: Sequence[Finding],
    verifiers: Mapping[str, str | None],
    settings: VerifySettings,
    notify: Notify = warn,
    registry: Registry | None = None,
) -> tuple[Finding, ...]:
    """The findings with a verdict each; identical keys are asked about once.

    Candidates go in rounds: a key paired with a secret that is not its own (the signature is
    refused) is tried with the next secret near it in the next round, after the first try ended.
    """
    registry = registry if registry is not None else shipped_registry()
    plan = plan_findings(findings, verifiers, registry)
    verdicts: dict[Candidate, Verdict] = {}
    bases: dict[str, str | None] = {}
    tried: dict[int, list[Verdict]] = defaultdict(list)
    waiting = {index: step for index, step in enumerate(plan.steps) if isinstance(step, tuple)}
    attempt = 0
    while waiting:
        asked = dict.fromkeys(step[attempt] for step in waiting.values())
        ask(
            [candidate for candidate in asked if candidate not in verdicts],
            verdicts,
            bases,
            settings,
            notify,
            registry,
        )
        for index, step in list(waiting.items()):
            verdict = verdicts[step[attempt]]
            tried[index].append(verdict)
            if attempt + 1 == len(step) or not refused(step[attempt], verdict, registry):
                del waiting[index]
        attempt += 1
    steps = [
        settle(tried[index]) if isinstance(step, tuple) else step
        for index, step in enumerate(plan.steps)
    ]
    for index, candidates in plan.partners.items():
        if answers := [verdicts[candidate] for candidate in candidates if candidate in verdicts]:
            steps[index] = settle(answers)
    return tuple(
        dataclasses.replace(finding, verdict=verdict)
        for finding, verdict in zip(findings, steps, strict=True)
    )


def ask(
    candidates: Iterable[Candidate],
    verdicts: dict[Candidate, Verdict],
    bases: dict[str, str | None],
    settings: VerifySettings,
    notify: Notify,
    registry: Registry,
) -> None:
    """Each candidate's verdict into `verdicts`: from the cache, the provider, or a dry run."""
    jobs = prepare(candidates, verdicts, bases, notify, registry, dict(settings.hosts))
    if settings.dry_run:
        for job in jobs:
            notify(describe(job))
            verdicts[job.candidate] = Verdict(VerdictStatus.SKIPPED, "dry run: nothing sent")
    else:
        verdicts.update(run_cached(jobs, settings))


def refused(candidate: Candidate, verdict: Verdict, registry: Registry) -> bool:
    """The pair's second secret is not the key's own: the answer says nothing of the key."""
    provider = registry.named(candidate.provider)
    pairing = provider.pairing if provider is not None else None
    return pairing is not None and verdict.reason == pairing.refused


def prepare(
    candidates: Iterable[Candidate],
    verdicts: dict[Candidate, Verdict],
    bases: dict[str, str | None],
    notify: Notify,
    registry: Registry,
    hosts: Mapping[str, str],
) -> list[Job]:
    """A job for each candidate that may be sent; a verdict for those that may not (`bases`:
    each provider's URL, looked up once a run)."""
    jobs: list[Job] = []
    for candidate in candidates:
        named = registry.named(candidate.provider)
        if named is None:
            verdicts[candidate] = Verdict(
                VerdictStatus.SKIPPED, f"no verifier named {candidate.provider!r}"
            )
            continue
        provider = sent_through(named, candidate.secret)
        if provider is None:
            # whatever rule found it: a rule (a repository's own, too) may name any provider
            reason = f"not a key of {candidate.provider}'s shape"
            verdicts[candidate] = Verdict(VerdictStatus.SKIPPED, reason)
            continue
        request = provider.build_request(candidate)
        if isinstance(request, Verdict):
            verdicts[candidate] = request
            continue
        if candidate.provider not in bases:
            bases[candidate.provider] = base_url(candidate.provider, provider, notify, hosts)
        base = bases[candidate.provider]
        if base is None:
            reason = f"needs your host: --verify-host {candidate.provider}=HOST"
            verdicts[candidate] = Verdict(VerdictStatus.SKIPPED, reason)
            continue
        jobs.append(Job(candidate, provider, base, request))
    return jobs


def describe(job: Job) -> str:
    """The request as it would be sent, every credential in it redacted."""

    def masked(text: str) -> str:
        for secret in sorted(job.request.secrets, key=len, reverse=True):
            text = text.replace(secret, redact(secret, kind_prefix(secret)))
        return text

    lines = [f"would send: {job.request.method} {job.base_url}{masked(job.request.target)}"]
    lines += [f"  {name}: {masked(value)}" for name, value in job.request.headers]
    if job.request.body:
        lines.append(f"  body: {masked(job.request.body.decode('utf-8', 'replace'))}")
    if job.provider.sign is not None:
        lines.append("  Authorization: AWS4-HMAC-SHA256 (signed when sent)")
    return "\n".join(lines)


def run_cached(jobs: Sequence[Job], settings: VerifySettings) -> dict[Candidate, Verdict]:
    from scanner.verify.verdict_cache import VerdictCache

    cache = VerdictCache(settings.cache_ttl) if settings.use_cache else None
    found: dict[Candidate, Verdict] = {}
    keys: dict[Candidate, str] = {}
    pending: list[Job] = []
    for job in jobs:
        if cache is not None:
            partner = job.candidate.partner or ""
            keys[job.candidate] = key = cache.key(
                job.candidate.provider, job.base_url, job.candidate.secret, partner
            )
            if (hit := cache.get(key)) is not None:
                found[job.candidate] = hit
                continue
        pending.append(job)
    if pending:
        from scanner.verify.execute import run_jobs

        answers = run_jobs(pending, settings)
        for job, verdict in zip(pending, answers, strict=True):
            found[job.candidate] = verdict
            if cache is not None:
                cache.put(keys[job.candidate], verdict)
    if cache is not None:
        cache.save()
    return found
