"""The annual Green Customs Award: rounds and their state machine (rounds.py), nominations
(nominations.py), judging and the scoring arithmetic (judging.py), public pages (publicity.py)."""
