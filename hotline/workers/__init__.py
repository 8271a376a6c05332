"""Background work: RQ jobs, the worker, and the periodic (cron) schedule."""
