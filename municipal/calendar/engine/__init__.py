"""The calendar's rule engine, pure: no clock, no Flask, no database (only `municipal.i18n.N_` to mark words).

- rules.v1.yaml, rules.py: the rule table and the settings a district may change; dates.py: date math
- inputs.py: one asset's facts, the engine's input, parsed and checked
- core.py: evaluate (facts in, due items out) and EVALUATORS, the evaluator of each schedule, which live in
  appraisals.py, patrols.py, periods.py and series.py, on what they share in context.py
- plans.py: a supervisor's own recurring plans
- wording.py, why.py: the words for kinds, results and flags, and the `why` lines in the reader's language
"""
