"""Shared tools of every app, without models: SQL logging, the workspace time zone, the chart
house style and the streaming CSV response. Imports nothing from the domain apps."""
