"""Supervision (督办): the SLA scan, notifications, supervisors' lists, metrics and anomaly alerts."""
