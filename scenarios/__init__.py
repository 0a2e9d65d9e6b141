"""Scenarios and participation: saved plans, their comparison, resident votes, hearings and evaluation."""
