// Placeholder: IPMIClient is filled in by its issue.
