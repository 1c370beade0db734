"""Every provider keyleak can verify a key with, by the name a rule's `verify` field gives.

Listed explicitly, so mypy checks each one against `Provider`; adding a verifier is a module in
`providers/` and its line here.
"""

from __future__ import annotations

from scanner.verify.probe import Provider
from scanner.verify.providers import (
    anthropic,
    aws,
    deepseek,
    github,
    gitlab,
    google,
    groq,
    huggingface,
    openai,
    openrouter,
    sendgrid,
    slack,
    stripe,
    xai,
)

PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        anthropic.PROVIDER,
        aws.PROVIDER,
        deepseek.PROVIDER,
        github.PROVIDER,
        gitlab.PROVIDER,
        google.PROVIDER,
        groq.PROVIDER,
        huggingface.PROVIDER,
        openai.PROVIDER,
        openrouter.PROVIDER,
        sendgrid.PROVIDER,
        slack.PROVIDER,
        stripe.PROVIDER,
        xai.PROVIDER,
    )
}


def provider_named(name: str) -> Provider | None:
    return PROVIDERS.get(name)


def pairings() -> dict[str, Provider]:
    """The providers whose keys pair with a second secret, by the rule that finds the second."""
    return {
        provider.pairing.partner_rule: provider
        for provider in PROVIDERS.values()
        if provider.pairing is not None
    }
