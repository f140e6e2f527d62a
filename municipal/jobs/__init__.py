"""Scheduled work: the job-claim table, the registry of jobs, the runner and the `municipal scheduler` process."""
