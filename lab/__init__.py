"""The rendered-runner lab: treadmill runners rendered with the truth of every frame.

A development instrument beside the app (not part of the wheel): `python -m lab render`,
`python -m lab suite`, `python -m lab score`. See README "The lab".
"""
