// Placeholder: IPMIExporter is filled in by its issue.
