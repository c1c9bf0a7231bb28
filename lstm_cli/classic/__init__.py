"""The LSTM papers' own experiments, judged by the papers' criteria (`lstm classic`).

`tasks.py` defines each task: its data (the built-in generators), its model and optimiser (the
same sections as `configs/classic/<task>.yaml`), what counts as a correct sequence and when a
run counts as solved. `runner.py` trains one task × cell × seed online, on freshly generated
sequences as the papers did, and summarises many runs into the table `lstm classic` prints.
"""
