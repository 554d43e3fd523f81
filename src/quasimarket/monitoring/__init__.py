"""Contract monitoring: plan against actual, year to date, forecast outturn, the Excel pack."""
