"""contamination_reports: verified records scanned for benchmark overlap; the clean kept."""
