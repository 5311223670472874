"""Planning an import and writing its plan, without I/O.

The modules, each with one job:

- :mod:`~upflow_import.planning.types`: the shapes of a plan and of its writing (values only).
- :mod:`~upflow_import.planning.steps`: the sans-I/O cores and how a driver runs them.
- :mod:`~upflow_import.planning.requests`: the requests the cores yield and their answers.
- :mod:`~upflow_import.planning.lookups`: the store reads, the planner's only I/O.
- :mod:`~upflow_import.planning.planner`: the planning core, phase by phase.
- :mod:`~upflow_import.planning.operations`: operations from the resolved clients and contacts.
- :mod:`~upflow_import.planning.accounting`: what happens to every row, and the totals.
- :mod:`~upflow_import.planning.writer`: the writing core.
"""
