// Placeholder: PrometheusText is filled in by its issue.
