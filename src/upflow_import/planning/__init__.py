"""Planning an import and writing its plan, without I/O.

The modules, each with one job (none imports another in a cycle):

- :mod:`~upflow_import.planning.types`: the shapes of a plan and of its writing (values only).
- :mod:`~upflow_import.planning.steps`: the sans-I/O cores and how a driver runs them.
- :mod:`~upflow_import.planning.requests`: the requests the cores yield and their answers.
- :mod:`~upflow_import.planning.lookups`: the store reads, the planner's only I/O.
- :mod:`~upflow_import.planning.planner`: the planning core, phase by phase.
- :mod:`~upflow_import.planning.file_rows`: the parsed file's columns as the planner reads them, by
  position (a row's records are made only for what is created or merged).
- :mod:`~upflow_import.planning.index`: the file's rows by client identity; the keys to look up.
- :mod:`~upflow_import.planning.keys`: client identity keys; names and emails normalised once a run.
- :mod:`~upflow_import.planning.entities`: the client and contact entities of a resolution.
- :mod:`~upflow_import.planning.clients`: client resolution (merging, existence, references).
- :mod:`~upflow_import.planning.groups`: parents and subsidiaries (references, cycles, order).
- :mod:`~upflow_import.planning.contacts`: contacts (merged, matched, main contact decided).
- :mod:`~upflow_import.planning.suggestions`: "did you mean".
- :mod:`~upflow_import.planning.issue_log`: every row's issues while planning.
- :mod:`~upflow_import.planning.operations`: operations from the resolution, in dependency order.
- :mod:`~upflow_import.planning.accounting`: what happens to every row, and the totals.
- :mod:`~upflow_import.planning.writer`: the writing core.
"""
