"""The inspection calendar: the pure rule engine (rules.v1.yaml, dates, engine) and its preview endpoints."""
