"""Turnstile and door relays: one pulse per admission, and an optional "passed" sensor.

`base` holds the small seam (`Actuator`, `PassageSensor`), `spec` parses the
`--relay` settings, `gpio`, `serial_relay` and `command` are the three real
outputs, and `door` decides when to pulse and undoes an admission nobody used.
No Qt here: the gate app drives it from its ledger worker's verdicts.
"""
