#!/usr/bin/env bash
# One device call: the method at real settings, then the Keras/JAX vs PyTorch benchmark.
# Run on the GPU host from the repository root, with the keras/namex/optree wheels in .whl/ (and protobuf:
# gpu_method reads and writes the Lab records, tf.train.Example protos, without TensorFlow; google-crc32c
# makes their checksums fast: without it they cost ~30 ms a 256-px record in Python)
# and the photo tiles in .devdata/photos (benchmarks/pack_photos.py); results go to $OUT.
set -u
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:. KERAS_BACKEND=jax PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
quiet='^(W0000|I0000|E0000)|UserWarning|self.data_adapter'
timeout "${METHOD_TIMEOUT:-330}" python3 -m benchmarks.gpu_method --photos .devdata/photos --out "$OUT" \
    --budget "${METHOD_BUDGET:-200}" 2>&1 | grep -Ev "$quiet" | tee "$OUT/method.log"
[ "${BENCH:-1}" = 1 ] && XLA_PYTHON_CLIENT_MEM_FRACTION=0.5 timeout "${BENCH_TIMEOUT:-230}" python3 -m benchmarks.gpu_step --variants \
    --profile /tmp/profile --json "$OUT/bench.json" 2>&1 | grep -Ev "$quiet" | tee "$OUT/bench.log"
cp /tmp/profile/plugins/profile/*/*.trace.json.gz "$OUT/train_bf16.trace.json.gz" 2>/dev/null
ls -la "$OUT"
