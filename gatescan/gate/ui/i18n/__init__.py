"""Shipped translations: `gatescan_<lang>.ts` (source, edited with pyside6-linguist) and `.qm`."""
