#!/usr/bin/env bash
# Makes `meetara finetune --backend tensorflow` run on the GPU in Google Colab (or any CUDA 12 machine).
#
# @tensorflow/tfjs-node-gpu 4.x bundles libtensorflow 2.9, built for CUDA 11.2 and cuDNN 8.1. Today's Colab image
# ships CUDA 12 only, so libtensorflow cannot find libcudart.so.11.0 / libcudnn.so.8 and silently runs on the CPU.
# This script installs the CUDA 11 and cuDNN 8 user-space libraries from PyPI (NVIDIA's own wheels; the CUDA 12
# driver runs CUDA 11 programs), installs tfjs-node-gpu, writes the LD_LIBRARY_PATH that points at the libraries
# to $HOME/.meetara-cuda11.env, and checks with a timed matMul that tfjs really computes on the GPU.
#
# Usage, in a Colab cell, from the project folder:
#   !bash scripts/colab-setup.sh
#   then prefix commands with the environment it printed, e.g.
#   !source ~/.meetara-cuda11.env && npx meetara finetune --base base.gguf --data train.jsonl --out run --backend tensorflow
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
  echo "colab-setup: no working nvidia-smi: this runtime has no GPU (Runtime > Change runtime type > GPU)." >&2
  exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

echo "colab-setup: installing CUDA 11 / cuDNN 8 user-space libraries with pip ..."
python3 -m pip install --quiet --disable-pip-version-check \
  'nvidia-cuda-runtime-cu11>=11.2,<12' \
  'nvidia-cuda-nvrtc-cu11>=11.2,<12' \
  'nvidia-cublas-cu11>=11.4,<12' \
  'nvidia-cufft-cu11>=10.4,<11' \
  'nvidia-curand-cu11>=10.2,<11' \
  'nvidia-cusolver-cu11>=11.1,<12' \
  'nvidia-cusparse-cu11>=11.4,<12' \
  'nvidia-cudnn-cu11>=8.1,<9'

# The wheels put their .so files under site-packages/nvidia/<component>/lib.
NVIDIA_DIR=$(python3 -c 'import nvidia, os; print(os.path.abspath(list(nvidia.__path__)[0]))')
LIB_DIRS=$(find "$NVIDIA_DIR" -mindepth 2 -maxdepth 2 -type d -name lib | sort | paste -sd: -)
for soname in libcudart.so.11.0 libcublas.so.11 libcublasLt.so.11 libcufft.so.10 libcurand.so.10 \
  libcusolver.so.11 libcusparse.so.11 libcudnn.so.8; do
  if ! find "$NVIDIA_DIR" -name "$soname*" | grep -q .; then
    echo "colab-setup: $soname is missing after the pip install; libtensorflow 2.9 needs it." >&2
    exit 1
  fi
done
ENV_FILE="$HOME/.meetara-cuda11.env"
echo "export LD_LIBRARY_PATH=\"$LIB_DIRS\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\"" > "$ENV_FILE"
echo "export TF_CPP_MIN_LOG_LEVEL=2" >> "$ENV_FILE"
# shellcheck disable=SC1091
source "$ENV_FILE"

if ! node -e "require.resolve('@tensorflow/tfjs-node-gpu')" >/dev/null 2>&1; then
  echo "colab-setup: installing @tensorflow/tfjs-node-gpu (downloads libtensorflow 2.9 for GPU) ..."
  npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@^4.22.0
fi

echo "colab-setup: checking that tfjs computes on the GPU ..."
node --input-type=module -e "
const tf = await import('@tensorflow/tfjs-node-gpu');
const n = 2048;
const a = tf.randomUniform([n, n]), b = tf.randomUniform([n, n]);
await tf.matMul(a, b).data();
const t0 = performance.now();
for (let i = 0; i < 5; i++) await tf.matMul(a, b).data();
const gflops = (5 * 2 * n ** 3) / ((performance.now() - t0) / 1000) / 1e9;
console.log('matMul ' + n + 'x' + n + ': ' + gflops.toFixed(0) + ' GFLOP/s');
if (gflops < 1000) { console.error('colab-setup: that is CPU speed: tfjs-node-gpu did not load the CUDA libraries.'); process.exit(1); }
"
echo "colab-setup: done. Run training with:  source $ENV_FILE && npx meetara finetune ... --backend tensorflow"
