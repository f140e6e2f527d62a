"""Citizen reports: what anyone can send from a scanned label, and the supervisors' triage of them."""
