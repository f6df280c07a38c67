"""The commands: one place that assembles the app, and run, analyze, demo, kiosk, history."""
