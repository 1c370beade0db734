"""A verification run: plan, cache, send (bounded and retried), and attach verdicts to findings."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from scanner.config.verification import VerifySettings
from scanner.errors import ConfigError
from scanner.model import Finding, Rule, ScanResult, Verdict, VerdictStatus
from scanner.redaction import kind_prefix, redact
from scanner.verify.job import Job
from scanner.verify.plan import plan_findings
from scanner.verify.probe import Candidate, Provider
from scanner.verify.registry import provider_named
from scanner.verify.shapes import has_shape

Notify = Callable[[str], None]


def warn(message: str) -> None:
    sys.stderr.write(f"keyleak: {message}\n")
    sys.stderr.flush()


def base_url(name: str, provider: Provider, notify: Notify) -> str:
    """The provider's official host, unless `KEYLEAK_<NAME>_BASE_URL` redirects it (tests)."""
    variable = f"KEYLEAK_{name.upper()}_BASE_URL"
    override = os.environ.get(variable)
    if not override:
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
    verifiers = {rule.id: rule.verify for rule in rules}
    findings = verify_findings(result.findings, verifiers, settings, notify)
    return dataclasses.replace(result, findings=findings)


def verify_findings(
    findings: Sequence[Finding],
    verifiers: Mapping[str, str | None],
    settings: VerifySettings,
    notify: Notify = warn,
) -> tuple[Finding, ...]:
    """The findings with a verdict each; identical keys are asked about once."""
    plan = plan_findings(findings, verifiers)
    verdicts: dict[Candidate, Verdict] = {}
    jobs = prepare(plan.candidates(), verdicts, notify)
    if settings.dry_run:
        for job in jobs:
            notify(describe(job))
            verdicts[job.candidate] = Verdict(VerdictStatus.SKIPPED, "dry run: nothing sent")
    else:
        verdicts.update(run_cached(jobs, settings))
    steps = [verdicts[step] if isinstance(step, Candidate) else step for step in plan.steps]
    for secret_index, id_index in plan.shares.items():
        steps[secret_index] = steps[id_index]
    return tuple(
        dataclasses.replace(finding, verdict=verdict)
        for finding, verdict in zip(findings, steps, strict=True)
    )


def prepare(
    candidates: Iterable[Candidate], verdicts: dict[Candidate, Verdict], notify: Notify
) -> list[Job]:
    """A job for each candidate that may be sent; a verdict for those that may not."""
    jobs: list[Job] = []
    bases: dict[str, str] = {}
    for candidate in candidates:
        provider = provider_named(candidate.provider)
        if provider is None:
            verdicts[candidate] = Verdict(
                VerdictStatus.SKIPPED, f"no verifier named {candidate.provider!r}"
            )
            continue
        if not has_shape(provider, candidate.secret):
            # whatever rule found it: a rule (a repository's own, too) may name any provider
            reason = f"not a key of {candidate.provider}'s shape"
            verdicts[candidate] = Verdict(VerdictStatus.SKIPPED, reason)
            continue
        request = provider.build_request(candidate)
        if isinstance(request, Verdict):
            verdicts[candidate] = request
            continue
        if candidate.provider not in bases:
            bases[candidate.provider] = base_url(candidate.provider, provider, notify)
        jobs.append(Job(candidate, provider, bases[candidate.provider], request))
    return jobs


def describe(job: Job) -> str:
    """The request as it would be sent, every credential in it redacted."""
    lines = [f"would send: {job.request.method} {job.base_url}{job.request.target}"]
    for name, value in job.request.headers:
        for secret in job.request.secrets:
            value = value.replace(secret, redact(secret, kind_prefix(secret)))
        lines.append(f"  {name}: {value}")
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
