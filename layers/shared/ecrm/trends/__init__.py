"""Trends: counters maintained from the table's stream, read by the reports.

`counting` says what one stream record counts (which aggregate item, which counters);
`tally` adds a batch's counts exactly once (a marker per record in the transaction that
counts it); `report` reads a window of day items and shapes the marketer's reports.
"""
