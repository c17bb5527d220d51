"""L2-regularised logistic regression (numpy + scipy L-BFGS), the fitting step of the reader's scorers.

`fit_logreg(X, y, l2, sample_weight, fixed)` returns (w, b); eval/train_reader.py uses it to fit the unit
scorer, its top-unit calibration and the span scorer. Used at training time only: scipy is imported there.
"""

from __future__ import annotations

import numpy as np


def fit_logreg(
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 1.0,
    sample_weight: np.ndarray | None = None,
    fixed: dict[int, float] | None = None,
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (the intercept is not penalised); returns (w, b).

    Minimises sum_i s_i * logloss(y_i, sigmoid(x_i.w + b)) / sum_i s_i + l2/2 * |w|^2 / n_eff with
    scipy's L-BFGS; deterministic. `fixed` pins some weights (column → value)."""
    from scipy.optimize import minimize  # noqa: PLC0415 — training only

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    s = s / s.sum()
    free = np.ones(d, dtype=bool)
    w0 = np.zeros(d)
    for j, v in (fixed or {}).items():
        free[j] = False
        w0[j] = v
    n_eff = float(n)

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = w0.copy()
        w[free] = theta[:-1]
        b = theta[-1]
        z = X @ w + b
        # log(1 + e^z) - y z, stable
        loss = np.sum(s * (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * float(w[free] @ w[free]) / n_eff
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        g = s * (p - y)
        gw = X.T @ g + l2 * w / n_eff
        return loss, np.concatenate([gw[free], [g.sum()]])

    theta0 = np.zeros(int(free.sum()) + 1)
    res = minimize(f, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 1000, "gtol": 1e-6})
    w = w0.copy()
    w[free] = res.x[:-1]
    return w, float(res.x[-1])
