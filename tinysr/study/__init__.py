"""``tinysr study``: is the search any good? Searched vs random vs published networks at equal budget.

- :mod:`.sampling` random genotypes within 15% of a parameter budget (seeded rejection sampling);
- :mod:`.oneshot`  ``inherit_weights``: a derived network with the supernet's own weights (gap, one-shot);
- :mod:`.jobs`     the job list and one job (search + retrain + evaluate, or retrain + evaluate);
- :mod:`.stats`    the judged score (every evaluation image), percentiles, Kendall's tau and its bootstrap interval;
- :mod:`.judge`    which retraining recipe ranks as the full one (noise floor, reproducibility, agreement);
- :mod:`.verdict`  searched - random: interval, permutation p-value, detectable difference, the words;
- :mod:`.summary`  the per-budget numbers of a study.json (``stats``);
- :mod:`.report`   ``study.md`` and ``study.png``;
- :mod:`.runner`   ``run_study`` (in-process, a spawn pool, or torchrun ranks) and ``rerun``.
"""
from .jobs import PUBLISHED, plan_jobs, run_job
from .oneshot import inherit_weights
from .report import plot_scores, plot_study, study_numbers, verdict_lines, write_study_md
from .runner import rerun, run_study
from .sampling import WINDOW, feasible_range, params_of, sample_in_budget
from .stats import bootstrap_tau, kendall_tau, percentile, score
from .summary import study_stats
from .verdict import verdict, verdict_sentence

__all__ = ["run_study", "rerun", "plan_jobs", "run_job", "PUBLISHED", "inherit_weights", "sample_in_budget",
           "feasible_range", "params_of", "WINDOW", "kendall_tau", "percentile", "study_stats", "score",
           "bootstrap_tau",
           "verdict", "verdict_sentence", "plot_study", "plot_scores", "study_numbers", "verdict_lines",
           "write_study_md"]
