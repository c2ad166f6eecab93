"""Training of device calibrations (the add-on applies them with numpy)."""
