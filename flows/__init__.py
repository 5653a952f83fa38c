"""Conversations as state machines: intake, employee commands and the message model."""
