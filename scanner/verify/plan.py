"""From findings to distinct candidates: which provider each key goes to, and the pairs.

A provider with a `Pairing` (AWS) tests a key with a second secret that a rule of its own finds.
Ids and secrets of several accounts often sit on adjacent lines, so the nearest secret is not
always the id's own: each id is tried with the secrets nearest it in the same file, one after
the other (at most MAX_PARTNERS), until a secret's answer is about the id rather than a
signature that secret cannot make. A partner finding is never sent anywhere itself: it takes
the verdict of the pairs it was tried in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scanner.model import LIVE_VERDICTS, Finding, Verdict, VerdictStatus
from scanner.verify.probe import Candidate
from scanner.verify.registry import Registry

#: the most secrets one key id is tried with (each try is one request)
MAX_PARTNERS = 4


@dataclass(frozen=True)
class Plan:
    """For each finding, in order: the candidates that decide its verdict, tried one after the
    other (one, unless its key pairs with a second secret), or the verdict itself.

    A partner finding (an AWS secret access key) has no probe of its own: `partners` maps its
    index to the candidates it is part of.
    """

    steps: tuple[tuple[Candidate, ...] | Verdict, ...]
    partners: Mapping[int, tuple[Candidate, ...]]


def skipped(reason: str) -> Verdict:
    return Verdict(VerdictStatus.SKIPPED, reason)


def nearest(finding: Finding, partners: Sequence[tuple[int, Finding]]) -> list[int]:
    """The partner findings in the same file (and commit), nearest line first, at most
    MAX_PARTNERS."""
    here = finding.location
    same_file = sorted(
        (abs(other.location.line - here.line), abs(other.location.column - here.column), index)
        for index, other in partners
        if other.location.path == here.path and other.location.commit == here.commit
    )
    return [index for _, _, index in same_file[:MAX_PARTNERS]]


def plan_findings(
    findings: Sequence[Finding], verifiers: Mapping[str, str | None], registry: Registry
) -> Plan:
    paired = registry.pairings()
    partners: defaultdict[str, list[tuple[int, Finding]]] = defaultdict(list)
    for index, finding in enumerate(findings):
        if finding.rule_id in paired:
            partners[finding.rule_id].append((index, finding))
    claimants: defaultdict[str, set[str]] = defaultdict(set)
    for finding in findings:
        if name := verifiers.get(finding.rule_id):
            claimants[finding.secret].add(name)
    steps: list[tuple[Candidate, ...] | Verdict] = []
    tried_with: defaultdict[int, list[Candidate]] = defaultdict(list)
    for finding in findings:
        name = verifiers.get(finding.rule_id)
        provider = registry.named(name) if name else None
        if finding.rule_id in paired:
            pairing = paired[finding.rule_id].pairing
            assert pairing is not None
            steps.append(skipped(pairing.unpaired))
        elif not name:
            steps.append(skipped("no verifier for this rule"))
        elif len(claimants[finding.secret]) > 1:
            # a key goes to one provider only: never hand it to a second one to try
            steps.append(skipped("ambiguous provider: rules of several providers match it"))
        elif provider is not None and provider.pairing is not None:
            near = nearest(finding, partners[provider.pairing.partner_rule])
            tries = tuple(Candidate(name, finding.secret, findings[i].secret) for i in near)
            for index, candidate in zip(near, tries, strict=True):
                tried_with[index].append(candidate)
            steps.append(tries or (Candidate(name, finding.secret),))
        else:
            steps.append((Candidate(name, finding.secret),))
    return Plan(tuple(steps), {index: tuple(tried) for index, tried in tried_with.items()})


def settle(tries: Sequence[Verdict]) -> Verdict:
    """The verdict of a key from those of the pairs it was tried in (in the order tried): a live
    pair proves the key; else the last answer, as only a refused signature leads to a next try."""
    return next((verdict for verdict in tries if verdict.status in LIVE_VERDICTS), tries[-1])
