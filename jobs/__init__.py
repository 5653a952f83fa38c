"""Scheduled sweeps: each job asks storage for what is due and acts on it."""
