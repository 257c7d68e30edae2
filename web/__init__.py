"""What every web room shares (the provider edge, the console, the app): the settings, clock and
database of the current app (current.py), logs that mask phone numbers (logs.py), row ids in
URLs and forms (row_ids.py).
"""
