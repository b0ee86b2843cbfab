"""Token format, signature and policy checks: pure functions that return a Verdict."""
