"""/admin/jobs: the scheduler's recorded runs and how each ended, for administrators."""
from flask import Blueprint, current_app, render_template, request

from ..permissions import roles
from . import runner, services

bp = Blueprint("jobs_admin", __name__, url_prefix="/admin/jobs")


@bp.route("/")
@roles("admin")
def runs():
    value = request.args.get("page", "1")
    page = int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = services.list_runs(page, per_page)
    return render_template("admin/jobs.html", rows=rows, outcomes={run.id: runner.outcome(run) for run in rows},
                           page=page, pages=max(1, -(-total // per_page)), total=total)
