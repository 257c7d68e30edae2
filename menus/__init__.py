"""Channel-independent conversation: screens, navigation, pagination, SMS text arithmetic.

Knows nothing about Flask, SQL or provider formats; see `menus.engine`.
"""
