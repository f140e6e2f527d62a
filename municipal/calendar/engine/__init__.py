"""The calendar's rule engine, pure: no clock, no Flask, no database (only `municipal.i18n.N_` to mark words).

rules.v1.yaml and rules.py (the rule table and the district's settings), dates.py (date math), inputs.py
(one asset's facts: the engine's input, parsed and checked), core.py (evaluate: facts in, due items out),
plans.py (a supervisor's own recurring plans), wording.py and why.py (the words for kinds, results and
`why` lines).
"""
