"""The stages joined up: chunks through the matcher into findings, findings through the policy,
verification and a report into an exit code."""
