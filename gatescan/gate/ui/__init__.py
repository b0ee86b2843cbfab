"""The gate app: PySide6 widgets, the workers that keep the UI thread free, kiosk mode."""
