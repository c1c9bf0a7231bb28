#!/usr/bin/env bash
# Every table of bench/README.md's "Speed where NumPy is weakest" section, in one command, from
# the repository root:  bash bench/rerun.sh [RUNS]
# Trains a one-epoch EWT model into runs/bench-ewt-1epoch first if it is not there (accuracy
# does not matter for speed). Takes about 10 minutes on a quiet 2-core machine.
set -euo pipefail
runs="${1:-3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"     # this checkout's lstm_cli
model=runs/bench-ewt-1epoch
test_file=../shared/data/ud-en-ewt/en_ewt-ud-test.conllu

echo "## machine"
lscpu | grep -E "^(Model name|CPU\(s\)|Flags)" | sed 's/^Flags:.*avx512f.*/Flags: ... avx512f ... (AVX-512)/'
python3 -c "import numpy, threadpoolctl; from numpy.lib.introspect import opt_func_info as o
print('numpy', numpy.__version__, 'tanh f32 ->', o(func_name='^tanh$', signature='float32')['tanh']['ff']['current'])
print([(i['internal_api'], i.get('architecture')) for i in threadpoolctl.threadpool_info()])"

echo "## engine against torch (Q, S, M, L, E)"
python3 bench/run_bench.py --repeats 10 --runs "$runs"

echo "## inference with and without the tape, paired (1 thread CPU time, then 2 threads wall)"
python3 bench/infer_paired.py --pairs 20
python3 bench/infer_paired.py --threads 2 --pairs 20

echo "## float32 tanh at three NumPy dispatch levels"
python3 bench/tanh_forms.py
NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" python3 bench/tanh_forms.py
NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR X86_V3" python3 bench/tanh_forms.py

echo "## start-up (best of 5, wall s)"
python3 - <<'PY'
import subprocess, sys, time
for args in (["--help"], ["predict", "--help"]):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lstm_cli", *args], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(f"lstm {' '.join(args)}: {min(times):.3f} s")
PY

echo "## lstm predict against a PyTorch tagger (EWT test file)"
if [ ! -d "$model" ]; then
  python3 -m lstm_cli train configs/ud-en-ewt-upos.yaml --set train.epochs=1 --out "$model" -q
fi
python3 bench/predict_vs_torch.py "$model" "$test_file" --runs "$runs"
