"""Daily-living and further exercise activities (filled in below)."""
GENERATORS: dict = {}
