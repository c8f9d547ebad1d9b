"""The parts of a sweep: many independent what-if solves of one data folder, in parallel.

    fabplan sweep DATA_DIR --vary EXPR=v1,v2,... [--vary ...] | --cases cases.csv
                 [--out DIR] [--workers N] [--scheduler ADDRESS] [--stochastic]

Modules: cases (the cases and their ids), worker (one solve, picklable), execute (local process
pool or Dask cluster), table (sweep.csv), tornado (sensitivity ranges and chart), report
(sweep.md / sweep.html). The run mode that puts them together is optimizer/run/sweep.py. Nothing
is imported here, so a worker unpickling `optimizer.sweep.worker.solve_case` does not pay for
the report's imports (matplotlib, jinja2).
"""
