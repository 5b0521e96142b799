// Placeholder: IPMI is filled in by its issue.
