"""Running the office: console accounts and the slowing of failed logins (staff.py), the register
of markets, traders, items and couriers (register.py) and its CSV (catalog_csv.py), today's
figures (figures.py), the reads of accounts and the register (queries.py).
"""
