"""Prefect flows: thin wiring over ``tilmech.services`` (installed as ``tilmech.flows``)."""
