"""What is reported and what is not: inline markers, allowlists, placeholders, the baseline, the
exit policy. Every finding dropped here is dropped for a named reason."""
