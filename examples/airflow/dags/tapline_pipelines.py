"""Tapline pipelines as Airflow tasks: one BashOperator per pipeline file, each calling `tapline run`.

The runner does the Singer work (tap | transforms | target as one Unix pipe, the state the target confirms
saved after every STATE line); Airflow schedules, retries and keeps the logs. The state lives in the
PostgreSQL backend named in each pipeline file (`state: {backend: postgres}`), so a retry or the next run
resumes from the same bookmarks whichever worker picks the task up.

Secrets: the pipeline files read them with `{{ env_var('...') }}`; the task's environment gets them from
Airflow connections through the templated `env` of the BashOperator, so they never appear in the DAG, the
pipeline files or the rendered command line (Tapline masks them in its own logs).

Exit codes (README "Exit codes"): 0 done; 2 configuration (a retry will not help); 5 connection and 3 sync
(worth retrying); 137/143 a program was killed; the stored state is always the last one the target
confirmed, so a retry never loses or skips rows.

Install: `npm install -g @tapline/runner @tapline/tap-postgres @tapline/target-postgres ...` on every worker
(or a container image with them), and put the pipeline files next to this DAG in `pipelines/`.
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime, timedelta
from pathlib import Path

from airflow import DAG
from airflow.operators.bash import BashOperator

# The pipeline files, relative to PIPELINES_DIR: one task each.
PIPELINES = ["shop-orders.yml", "shop-customers.yml"]

PIPELINES_DIR = Path(os.environ.get("TAPLINE_PIPELINES_DIR", Path(__file__).resolve().parent.parent / "pipelines"))

# `tapline` from PATH; set TAPLINE_BIN to use another install (e.g. /opt/tapline/node_modules/.bin/tapline).
TAPLINE = os.environ.get("TAPLINE_BIN", "tapline")

# What the pipeline files read with env_var(), filled from Airflow connections when the task runs. The
# values are Jinja templates rendered by Airflow (the `env` field of BashOperator is templated).
PIPELINE_ENV = {
    "SHOP_DB_HOST": "{{ conn.shop_replica.host }}",
    "SHOP_DB_USER": "{{ conn.shop_replica.login }}",
    "SHOP_DB_PASSWORD": "{{ conn.shop_replica.password }}",
    "WAREHOUSE_HOST": "{{ conn.warehouse.host }}",
    "WAREHOUSE_PASSWORD": "{{ conn.warehouse.password }}",
    "TAPLINE_STATE_HOST": "{{ conn.tapline_state.host }}",
    "TAPLINE_STATE_PASSWORD": "{{ conn.tapline_state.password }}",
    # A progress line every 30 s in the task log instead of every 5 s.
    "TAPLINE_PROGRESS_SECONDS": "30",
}

with DAG(
    dag_id="tapline_pipelines",
    description="Tapline Singer pipelines (tap | transforms | target), state in PostgreSQL",
    schedule="@hourly",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    # Two runs of one pipeline at once would race for its bookmarks: the backend refuses a state that
    # moves backwards, but the second run would still read the same rows twice.
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(hours=6),
    },
    tags=["tapline", "singer"],
) as dag:
    for pipeline in PIPELINES:
        path = PIPELINES_DIR / pipeline
        BashOperator(
            task_id="tapline_" + Path(pipeline).stem.replace("-", "_"),
            bash_command=f"{shlex.quote(TAPLINE)} run {shlex.quote(str(path))}",
            env=PIPELINE_ENV,
            # Keep PATH, HOME and the rest of the worker's environment.
            append_env=True,
            # Airflow's own signal on timeout or mark-failed is SIGTERM: tapline forwards it to the programs
            # and exits 143 with the last confirmed state saved.
        )
