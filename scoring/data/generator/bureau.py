"""Synthetic credit-bureau history: bureau (credits at other lenders) and bureau_balance (monthly status).

Risky behaviour leaves traces here the way it does in the real files:
overdue days and amounts on active credits, a higher share of active
credits, and delinquent months (`1`..`5`) in the monthly status.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from scoring.data.generator.common import (
    Clients,
    cat_series,
    code_of,
    draw_codes,
    frame,
    money,
    repeat_index,
    sigmoid,
    with_nulls,
)

B = "bureau"
BB = "bureau_balance"
DAYS_PER_MONTH = 30.4375

CREDIT_TYPES = {
    "Consumer credit": 0.729, "Credit card": 0.2355, "Car loan": 0.0161, "Mortgage": 0.0107,
    "Microloan": 0.0072, "Loan for business development": 0.0011, "Another type of loan": 0.0006,
    "Unknown type of loan": 0.0003, "Loan for working capital replenishment": 0.00028,
    "Cash loan (non-earmarked)": 0.00003, "Real estate loan": 0.00002,
    "Loan for the purchase of equipment": 0.00001, "Loan for purchase of shares (margin lending)": 0.00001,
    "Interbank credit": 0.000001, "Mobile operator loan": 0.000001,
}
#: Share of bureau credits that have monthly rows in bureau_balance.
BALANCE_COVERAGE = 0.41


def generate_bureau(rng: np.random.Generator, clients: Clients,
                    first_id: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """bureau and bureau_balance rows of one chunk; SK_ID_BUREAU from `first_id` upward."""
    n_clients = clients.n
    has = rng.random(n_clients) < 0.857
    counts = np.where(has, 1 + rng.negative_binomial(1.3, 1.3 / (1.3 + 4.6), n_clients), 0)
    owner, _ = repeat_index(counts)
    n = len(owner)
    behaviour = clients.behaviour[owner]
    worth = clients.worthiness[owner]
    sk_id_bureau = first_id + rng.permutation(n).astype(np.int64)

    ctype = draw_codes(rng, B, "CREDIT_TYPE", CREDIT_TYPES, n)
    card = ctype == code_of(B, "CREDIT_TYPE", "Credit card")
    mortgage = np.isin(ctype, [code_of(B, "CREDIT_TYPE", "Mortgage"), code_of(B, "CREDIT_TYPE", "Car loan")])
    adult_days = np.floor((clients.age_years[owner] - 18.0) * 365.25)
    days_credit = -np.minimum(np.round(1 + 2921 * rng.beta(1.0, 1.55, n)), np.maximum(adult_days, 30))
    term_days = np.round(np.exp(rng.normal(np.log(420), 0.8, n)))
    term_days = np.where(mortgage, np.round(rng.uniform(1500, 9000, n)), term_days)
    term_days = np.where(card, np.where(rng.random(n) < 0.1, 31_000 + days_credit,
                                        np.round(rng.uniform(700, 1900, n))), term_days)
    enddate = days_credit + term_days
    enddate_null = rng.random(n) < 0.062

    # Status: past-term credits are mostly closed; risky clients keep more credits open.
    p_active = np.where(enddate > 0, 0.88, 0.05 + 0.08 * sigmoid(1.2 * behaviour - 1.0))
    active = rng.random(n) < p_active
    rare = rng.random(n)
    status = np.where(active, code_of(B, "CREDIT_ACTIVE", "Active"), code_of(B, "CREDIT_ACTIVE", "Closed"))
    status = np.where(rare < 0.004, code_of(B, "CREDIT_ACTIVE", "Sold"), status)
    bad_debt = rare > 1.0 - 0.0003 * np.exp(1.2 * behaviour)
    status = np.where(bad_debt, code_of(B, "CREDIT_ACTIVE", "Bad debt"), status)
    closed = ~active & ~bad_debt

    fact_end = np.minimum(np.where(rng.random(n) < 0.5, enddate, days_credit + term_days * rng.uniform(0.2, 1.0, n)), -1)
    fact_end = np.maximum(fact_end, days_credit)
    days_update = np.where(closed, np.minimum(fact_end + rng.integers(0, 30, n), -1),
                           -np.round(rng.exponential(25.0, n)) - 1)
    days_update = np.maximum(days_update, days_credit)

    amount = np.exp(rng.normal(np.log(120_000), 1.2, n))
    amount = np.where(mortgage, amount * 6, amount)
    amount = np.where(card, np.round(amount / 22_500) * 22_500, money(amount))
    amount = np.minimum(amount, 50_000_000.0)
    progress = np.clip(-days_credit / np.maximum(term_days, 1), 0, 1)
    debt = np.where(closed, 0.0, amount * (1 - progress) * rng.uniform(0.6, 1.05, n))
    debt = np.where(card & ~closed, amount * rng.beta(0.8 + 0.4 * sigmoid(behaviour), 1.5, n), debt)
    debt = np.where(rng.random(n) < 0.012, -rng.uniform(1, 3000, n), debt)
    limit = np.where(card & ~closed & (rng.random(n) < 0.4), amount - np.maximum(debt, 0), 0.0)

    # Overdue traces driven by behaviour (and weakly by creditworthiness).
    risk = 1.25 * behaviour + 0.35 * worth
    overdue_now = ~closed & (rng.random(n) < sigmoid(-6.2 + risk))
    day_overdue = np.where(overdue_now, np.minimum(rng.geometric(1 / 60.0, n), 2800), 0)
    sum_overdue = np.where(overdue_now, money(amount * rng.uniform(0.005, 0.2, n)), 0.0)
    had_overdue = rng.random(n) < sigmoid(-2.6 + risk)
    max_overdue = np.where(had_overdue | overdue_now, money(amount * rng.uniform(0.002, 0.12, n)), 0.0)
    annuity = np.where(rng.random(n) < 0.6, 0.0, money(amount / np.maximum(term_days / DAYS_PER_MONTH, 1)))

    cols = {
        "SK_ID_CURR": clients.sk_id_curr[owner],
        "SK_ID_BUREAU": sk_id_bureau,
        "CREDIT_ACTIVE": cat_series(B, "CREDIT_ACTIVE", status),
        "CREDIT_CURRENCY": cat_series(B, "CREDIT_CURRENCY", draw_codes(
            rng, B, "CREDIT_CURRENCY",
            {"currency 1": 0.99918, "currency 2": 0.00071, "currency 3": 0.00010, "currency 4": 0.00001}, n)),
        "DAYS_CREDIT": days_credit.astype(np.int64),
        "CREDIT_DAY_OVERDUE": day_overdue.astype(np.int64),
        "DAYS_CREDIT_ENDDATE": with_nulls(enddate, enddate_null),
        "DAYS_ENDDATE_FACT": with_nulls(fact_end, ~closed),
        "AMT_CREDIT_MAX_OVERDUE": with_nulls(max_overdue, rng.random(n) < 0.62 - 0.3 * (had_overdue | overdue_now)),
        "CNT_CREDIT_PROLONG": np.where(rng.random(n) < 0.005, rng.integers(1, 3, n), 0).astype(np.int64),
        "AMT_CREDIT_SUM": amount,
        "AMT_CREDIT_SUM_DEBT": with_nulls(money(debt), rng.random(n) < 0.15),
        "AMT_CREDIT_SUM_LIMIT": with_nulls(money(limit), rng.random(n) < 0.34),
        "AMT_CREDIT_SUM_OVERDUE": sum_overdue,
        "CREDIT_TYPE": cat_series(B, "CREDIT_TYPE", ctype),
        "DAYS_CREDIT_UPDATE": days_update.astype(np.int64),
        "AMT_ANNUITY": with_nulls(annuity, rng.random(n) < 0.71),
    }
    bureau = frame(B, cols)
    balance = _bureau_balance(rng, sk_id_bureau, days_credit, fact_end, closed, behaviour, worth)
    return bureau, balance


def _bureau_balance(rng: np.random.Generator, sk_id_bureau: np.ndarray, days_credit: np.ndarray,
                    fact_end: np.ndarray, closed: np.ndarray, behaviour: np.ndarray,
                    worth: np.ndarray) -> pl.DataFrame:
    """One row per month from the credit's opening (at most 96 months back) to month 0."""
    n = len(sk_id_bureau)
    covered = rng.random(n) < BALANCE_COVERAGE
    first_month = np.maximum(np.floor(days_credit / DAYS_PER_MONTH), -96).astype(np.int64)
    counts = np.where(covered, 1 - first_month, 0)
    parent, pos = repeat_index(counts)
    month = first_month[parent] + pos

    close_month = np.where(closed, np.floor(fact_end / DAYS_PER_MONTH), 10**6)[parent]
    ok, unknown, closed_code = (code_of(BB, "STATUS", v) for v in ("0", "X", "C"))
    status = np.full(len(parent), ok, dtype=np.int64)
    x_rate = np.where(rng.random(n) < 0.6, rng.uniform(0.3, 1.0, n), 0.0)
    status = np.where(rng.random(len(parent)) < x_rate[parent], unknown, status)
    # A delinquent spell: months late count up 1..5 then the client catches up.
    delinquent = rng.random(n) < sigmoid(-3.4 + 1.3 * behaviour + 0.3 * worth)
    start = np.floor(rng.random(n) * np.maximum(counts, 1)).astype(np.int64)
    length = 1 + rng.geometric(0.55, n)
    depth = pos - start[parent] + 1
    in_spell = delinquent[parent] & (depth >= 1) & (depth <= length[parent])
    status = np.where(in_spell, ok + np.minimum(depth, 5), status)  # "1".."5" follow "0"
    status = np.where(month > close_month, closed_code, status)
    return frame(BB, {
        "SK_ID_BUREAU": sk_id_bureau[parent],
        "MONTHS_BALANCE": month,
        "STATUS": cat_series(BB, "STATUS", status),
    })
