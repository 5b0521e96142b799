// Placeholder: IPMISimulator is filled in by its issue.
