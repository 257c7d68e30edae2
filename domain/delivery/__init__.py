"""Getting orders to the door: offers to couriers, `YA`, pick-up and delivery, traders told what to
prepare, the worker's sweep (dispatch.py); how long an offer stands (policy.py); the reads of
couriers, offers, jobs and the dispatch board (queries.py). docs/DISPATCH.md tells the story.
"""
