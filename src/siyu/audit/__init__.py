"""Audit log: who changed what, when, with before/after."""
