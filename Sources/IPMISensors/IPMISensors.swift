// Placeholder: IPMISensors is filled in by its issue.
