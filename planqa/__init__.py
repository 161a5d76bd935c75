"""Shared contract between the stages: settings, typed records and errors."""
