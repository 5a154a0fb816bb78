"""The report forms (commune monthly, district quarterly, province yearly) as documents, CSV and printable HTML."""
