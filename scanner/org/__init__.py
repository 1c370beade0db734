"""Organisation-wide audits: many repositories mirrored, each audited with the history scan, and
the results merged into one report."""
