"""Thin adapters: one blueprint per concern, no decisions.

Each decorated function decodes its binding values, calls a handler from the
``chat`` package and encodes the result.
"""
