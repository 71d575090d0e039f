"""Loading lists of leads into campaigns: reading CSV files, mapping columns, the import job, the row report."""
