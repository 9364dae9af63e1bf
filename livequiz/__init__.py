"""Shared core of livequiz: game rules, stores, events and the local runtime.

The Lambda functions under ``functions/`` are thin layers over this package.
"""
