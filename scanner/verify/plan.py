"""From findings to distinct candidates: which provider each key goes to, and the pairs.

A provider with a `Pairing` (AWS) tests a key with a second secret that a rule of its own finds:
each such key goes with the nearest partner finding in the same file, and the partner finding
shares the key's verdict instead of being sent anywhere itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scanner.model import Finding, Verdict, VerdictStatus
from scanner.verify.probe import Candidate
from scanner.verify.registry import pairings, provider_named


@dataclass(frozen=True)
class Plan:
    """For each finding, in order: the candidate that decides its verdict, or the verdict itself.

    A partner finding (an AWS secret access key) has no probe of its own; it shares the verdict
    of the key it was paired with (`shares`: finding index -> index of that key's finding).
    """

    steps: tuple[Candidate | Verdict, ...]
    shares: Mapping[int, int]

    def candidates(self) -> list[Candidate]:
        """Each distinct candidate once, in the order first found."""
        seen = dict.fromkeys(step for step in self.steps if isinstance(step, Candidate))
        return list(seen)


def skipped(reason: str) -> Verdict:
    return Verdict(VerdictStatus.SKIPPED, reason)


def nearest(finding: Finding, partners: Sequence[tuple[int, Finding]]) -> int | None:
    """The partner finding in the same file (and commit) on the nearest line, if any."""
    here = finding.location
    same_file = [
        (abs(other.location.line - here.line), abs(other.location.column - here.column), index)
        for index, other in partners
        if other.location.path == here.path and other.location.commit == here.commit
    ]
    return min(same_file)[2] if same_file else None


def plan_findings(findings: Sequence[Finding], verifiers: Mapping[str, str | None]) -> Plan:
    paired = pairings()
    partners: defaultdict[str, list[tuple[int, Finding]]] = defaultdict(list)
    for index, finding in enumerate(findings):
        if finding.rule_id in paired:
            partners[finding.rule_id].append((index, finding))
    claimants: defaultdict[str, set[str]] = defaultdict(set)
    for finding in findings:
        if name := verifiers.get(finding.rule_id):
            claimants[finding.secret].add(name)
    steps: list[Candidate | Verdict] = []
    shares: dict[int, int] = {}
    for index, finding in enumerate(findings):
        name = verifiers.get(finding.rule_id)
        provider = provider_named(name) if name else None
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
            partner = nearest(finding, partners[provider.pairing.partner_rule])
            if partner is not None:
                shares.setdefault(partner, index)
            secret = findings[partner].secret if partner is not None else None
            steps.append(Candidate(name, finding.secret, secret))
        else:
            steps.append(Candidate(name, finding.secret))
    return Plan(tuple(steps), shares)
