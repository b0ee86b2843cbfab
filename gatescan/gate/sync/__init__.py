"""Enrollment and push/pull with the central server (httpx; no Qt)."""
