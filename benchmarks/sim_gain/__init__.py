"""Does pretraining on WearTwin-simulated data beat training from scratch on real wrist IMU data?

`prepare` turns real datasets and `weartwin synth` corpora into compact window files (CPU, this
machine); `arms` trains and evaluates every arm on those files (numpy + torch + sklearn + scipy,
no bpy, so it runs on a GPU machine too); `stats` compares arms with paired statistics; `report`
writes the JSON, the table and the plots. `benchmarks/bench_sim_gain.py` drives them.
"""
