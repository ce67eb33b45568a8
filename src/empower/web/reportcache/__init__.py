"""Reports computed once per change of the data behind them, not once per view."""
