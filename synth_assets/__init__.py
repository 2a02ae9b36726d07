from synth_assets.threads import limit_numeric_threads

limit_numeric_threads()  # before any module of ours loads numpy (see synth_assets.threads)
