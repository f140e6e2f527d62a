"""Annual inspection reports: the year's records as plain queries, rendered to a print-ready page and PDF."""
