"""Sweeps: many `lstm train` runs from one declarative file, and the tables that compare them.

    spec.py           the sweep file: schema, loading, key checks against the config schema
    plan.py           the runs of a sweep: points, seeds, directory names, commands, status
    local.py          the local executor: `lstm train` subprocesses, N at a time
    ray_executor.py   the same runs as Ray Tune trials (optional extra `lstm-cli[ray]`)
    results.py        reading run directories back into rows for `lstm report`
"""
