#!/usr/bin/env bash
# Slurm array job: the miniature experiment (issue 13) spread over N tasks, every task running one
# shard of the grid into one shared directory, then one dependent job that builds the reports.
#
#   sbatch --array=0-7 examples/cluster/slurm-experiment.sh          # 8 shards
#   sbatch --dependency=afterany:<array job id> --export=ALL,REPORT_ONLY=1 examples/cluster/slurm-experiment.sh
#
# EXP_DIR must be on a file system every node sees. Runs that finished are skipped and runs that were
# cut off resume from their last checkpoint, so resubmitting the same array continues the grid.
#SBATCH --job-name=uboost-edge
#SBATCH --cpus-per-task=2
#SBATCH --mem=6G
#SBATCH --time=12:00:00
#SBATCH --output=uboost-edge-%A_%a.log
set -euo pipefail

UBOOST=${UBOOST:-uboost}                # a binary built with: go build -o uboost ./cmd/uboost
EXP_DIR=${EXP_DIR:-$HOME/uboost-edge}   # shared by all tasks
PRESET=${PRESET:-edge}
PROTOCOL=${PROTOCOL:-both}

if [ -n "${REPORT_ONLY:-}" ]; then
  exec "$UBOOST" experiment --report-only --preset "$PRESET" --protocol "$PROTOCOL" --out "$EXP_DIR"
fi

: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-(N-1)}"
n=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX - SLURM_ARRAY_TASK_MIN + 1))}
# One run at a time per task, every allotted core for the engine. On a GPU partition, build the binary
# with -tags xla and export GOMLX_BACKEND=xla:cuda (docs/ENGINE.md) instead.
exec "$UBOOST" experiment --preset "$PRESET" --protocol "$PROTOCOL" --out "$EXP_DIR" \
  --shard "$SLURM_ARRAY_TASK_ID/$n" --jobs 1 --threads "${SLURM_CPUS_PER_TASK:-2}"
