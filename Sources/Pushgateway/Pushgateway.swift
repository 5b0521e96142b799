// Placeholder: Pushgateway is filled in by its issue.
