"""Per-client aggregates of the six history tables, one expression list per table.

In the spirit of the public Home Credit kernels, but kept small and readable:
each aggregate answers a question an advisor could ask ("how often was this
client late?"). A client with no rows in a table gets null aggregates and a
count column of 0 (`COUNT_COLUMNS`), never invented zeros.
"""

from __future__ import annotations

import polars as pl

from scoring.data.schema import DAYS_NOT_APPLICABLE, TABLES
from scoring.features.application import ratio

HISTORY_TABLES = (
    "bureau", "bureau_balance", "previous_application", "POS_CASH_balance",
    "installments_payments", "credit_card_balance",
)

#: One count column per table: 0 (not null) for a client without rows there.
COUNT_COLUMNS = ("BUREAU_COUNT", "PREV_COUNT", "POS_MONTHS", "INST_COUNT", "CC_MONTHS")
#: Other count-like aggregates that are 0 for a client without history.
ZERO_WHEN_ABSENT = COUNT_COLUMNS + (
    "BUREAU_ACTIVE_COUNT", "BUREAU_CLOSED_COUNT", "BUREAU_BALANCE_MONTHS",
    "PREV_APPROVED_COUNT", "PREV_REFUSED_COUNT", "POS_LOAN_COUNT", "POS_COMPLETED_COUNT",
)

#: previous_application day columns where 365243 means "not applicable".
PREV_DAY_COLUMNS = (
    "DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION", "DAYS_LAST_DUE",
    "DAYS_TERMINATION",
)


def _f(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


def _count(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64)


# --- bureau_balance, rolled up per bureau credit first ------------------------------------
#: Monthly status "1".."5" = increasingly late; "0" is up to date, "C" closed, "X" unknown.
#: A string range test (cheaper than parsing 27 M strings): "C" and "X" sort after "6".
_LATE_STATUS = (pl.col("STATUS") > "0") & (pl.col("STATUS") < "6")
BUREAU_BALANCE_MONTHS_PER_CREDIT: list[pl.Expr] = [pl.len().cast(pl.Int64).alias("_bb_months")]
#: Computed on the late months only (a small subset): how many, and the worst level.
BUREAU_BALANCE_LATE_PER_CREDIT: list[pl.Expr] = [
    pl.len().cast(pl.Int64).alias("_bb_late"),
    pl.col("STATUS").cast(pl.Int8).max().alias("_bb_worst"),
]


def _bureau_balance_per_credit(bureau_balance: pl.LazyFrame) -> pl.LazyFrame:
    """SK_ID_BUREAU, months of balance, late months and worst late level (null if never late)."""
    months = bureau_balance.group_by("SK_ID_BUREAU").agg(BUREAU_BALANCE_MONTHS_PER_CREDIT)
    late = bureau_balance.filter(_LATE_STATUS).group_by("SK_ID_BUREAU").agg(BUREAU_BALANCE_LATE_PER_CREDIT)
    return months.join(late, on="SK_ID_BUREAU", how="left")


# --- bureau (one row per credit, with its balance roll-up) --------------------------------
_active = pl.col("CREDIT_ACTIVE") == "Active"
BUREAU_EXPRESSIONS: list[pl.Expr] = [
    _count(pl.len()).alias("BUREAU_COUNT"),
    _count(_active.sum()).alias("BUREAU_ACTIVE_COUNT"),
    _count((pl.col("CREDIT_ACTIVE") == "Closed").sum()).alias("BUREAU_CLOSED_COUNT"),
    _f("AMT_CREDIT_SUM").sum().alias("BUREAU_CREDIT_SUM"),
    _f("AMT_CREDIT_SUM_DEBT").sum().alias("BUREAU_DEBT_SUM"),
    _f("AMT_CREDIT_SUM_DEBT").mean().alias("BUREAU_DEBT_MEAN"),
    _f("AMT_CREDIT_SUM_DEBT").filter(_active).sum().alias("BUREAU_ACTIVE_DEBT_SUM"),
    ratio(
        _f("AMT_CREDIT_SUM_DEBT").filter(_active).sum(), _f("AMT_CREDIT_SUM").filter(_active).sum()
    ).alias("BUREAU_ACTIVE_DEBT_CREDIT_RATIO"),
    _f("AMT_CREDIT_SUM_OVERDUE").sum().alias("BUREAU_OVERDUE_SUM"),
    _f("AMT_CREDIT_MAX_OVERDUE").max().alias("BUREAU_MAX_OVERDUE"),
    _f("CREDIT_DAY_OVERDUE").max().alias("BUREAU_DAYS_OVERDUE_MAX"),
    _f("CNT_CREDIT_PROLONG").sum().alias("BUREAU_PROLONG_SUM"),
    (-_f("DAYS_CREDIT")).min().alias("BUREAU_DAYS_SINCE_LAST_CREDIT"),
    _count(pl.col("_bb_months").sum()).alias("BUREAU_BALANCE_MONTHS"),
    ratio(_f("_bb_late").sum(), _f("_bb_months").sum()).alias("BUREAU_LATE_MONTHS_SHARE"),
    # worst monthly level: 0 when months are recorded but none was late, null without months
    pl.when(pl.col("_bb_months").sum() > 0).then(_f("_bb_worst").max().fill_null(0.0))
    .alias("BUREAU_WORST_STATUS"),
]

# --- previous_application -----------------------------------------------------------------
PREV_CLEAN: list[pl.Expr] = [
    pl.when(pl.col(c) != DAYS_NOT_APPLICABLE).then(_f(c)).alias(c) for c in PREV_DAY_COLUMNS
]
_approved = pl.col("NAME_CONTRACT_STATUS") == "Approved"
_refused = pl.col("NAME_CONTRACT_STATUS") == "Refused"
PREV_EXPRESSIONS: list[pl.Expr] = [
    _count(pl.len()).alias("PREV_COUNT"),
    _count(_approved.sum()).alias("PREV_APPROVED_COUNT"),
    _count(_refused.sum()).alias("PREV_REFUSED_COUNT"),
    _approved.cast(pl.Float64).mean().alias("PREV_APPROVED_SHARE"),
    _refused.cast(pl.Float64).mean().alias("PREV_REFUSED_SHARE"),
    _f("AMT_APPLICATION").mean().alias("PREV_ASKED_MEAN"),
    _f("AMT_CREDIT").mean().alias("PREV_CREDIT_MEAN"),
    ratio(_f("AMT_CREDIT"), _f("AMT_APPLICATION")).mean().alias("PREV_GRANTED_ASKED_RATIO"),
    _f("AMT_ANNUITY").mean().alias("PREV_ANNUITY_MEAN"),
    _f("CNT_PAYMENT").mean().alias("PREV_TERM_MEAN"),
    _f("RATE_DOWN_PAYMENT").mean().alias("PREV_DOWN_PAYMENT_RATE_MEAN"),
    (-_f("DAYS_DECISION")).min().alias("PREV_DAYS_SINCE_LAST_DECISION"),
    # Actual minus planned end of the previous credits (after the 365243 clean-up).
    (pl.col("DAYS_LAST_DUE") - pl.col("DAYS_LAST_DUE_1ST_VERSION")).mean().alias("PREV_END_SHIFT_DAYS_MEAN"),
]

# --- POS_CASH_balance (one row per loan and month) ---------------------------------------
POS_EXPRESSIONS: list[pl.Expr] = [
    _count(pl.len()).alias("POS_MONTHS"),
    _count(pl.col("SK_ID_PREV").n_unique()).alias("POS_LOAN_COUNT"),
    _count(pl.col("SK_ID_PREV").filter(pl.col("NAME_CONTRACT_STATUS") == "Completed").n_unique())
    .alias("POS_COMPLETED_COUNT"),
    _f("SK_DPD").mean().alias("POS_DPD_MEAN"),
    _f("SK_DPD").max().alias("POS_DPD_MAX"),
    (pl.col("SK_DPD") > 0).cast(pl.Float64).mean().alias("POS_LATE_MONTHS_SHARE"),
]

# --- installments_payments (one row per payment) -----------------------------------------
_late_days = _f("DAYS_ENTRY_PAYMENT") - _f("DAYS_INSTALMENT")
INST_EXPRESSIONS: list[pl.Expr] = [
    _count(pl.len()).alias("INST_COUNT"),
    _late_days.mean().alias("INST_LATE_DAYS_MEAN"),
    _late_days.max().alias("INST_LATE_DAYS_MAX"),
    (_late_days > 0).cast(pl.Float64).mean().alias("INST_LATE_SHARE"),
    (_f("AMT_PAYMENT") < _f("AMT_INSTALMENT")).cast(pl.Float64).mean().alias("INST_SHORT_SHARE"),
    ratio(_f("AMT_PAYMENT").sum(), _f("AMT_INSTALMENT").sum()).alias("INST_PAID_DUE_RATIO"),
    (_f("AMT_INSTALMENT") - _f("AMT_PAYMENT")).clip(lower_bound=0).sum().alias("INST_UNPAID_SUM"),
]

# --- credit_card_balance (one row per card and month) ------------------------------------
_utilisation = ratio(_f("AMT_BALANCE"), _f("AMT_CREDIT_LIMIT_ACTUAL"))
CC_EXPRESSIONS: list[pl.Expr] = [
    _count(pl.len()).alias("CC_MONTHS"),
    _f("AMT_BALANCE").mean().alias("CC_BALANCE_MEAN"),
    _f("AMT_CREDIT_LIMIT_ACTUAL").max().alias("CC_LIMIT_MAX"),
    _utilisation.mean().alias("CC_UTILISATION_MEAN"),
    _utilisation.max().alias("CC_UTILISATION_MAX"),
    _f("AMT_DRAWINGS_CURRENT").mean().alias("CC_DRAWINGS_MEAN"),
    _f("AMT_DRAWINGS_ATM_CURRENT").mean().alias("CC_ATM_DRAWINGS_MEAN"),
    _f("SK_DPD").max().alias("CC_DPD_MAX"),
    (pl.col("SK_DPD") > 0).cast(pl.Float64).mean().alias("CC_LATE_MONTHS_SHARE"),
]


def _per_client(frame: pl.LazyFrame, exprs: list[pl.Expr]) -> pl.LazyFrame:
    return frame.group_by("SK_ID_CURR").agg(exprs).with_columns(pl.col("SK_ID_CURR").cast(pl.Int64))


def table_aggregates(tables: dict[str, pl.LazyFrame]) -> list[pl.LazyFrame]:
    """The five per-client aggregate frames (bureau carries its balance roll-up)."""
    per_credit = _bureau_balance_per_credit(tables["bureau_balance"])
    bureau = tables["bureau"].join(per_credit, on="SK_ID_BUREAU", how="left")
    return [
        _per_client(bureau, BUREAU_EXPRESSIONS),
        _per_client(tables["previous_application"].with_columns(PREV_CLEAN), PREV_EXPRESSIONS),
        _per_client(tables["POS_CASH_balance"], POS_EXPRESSIONS),
        _per_client(tables["installments_payments"], INST_EXPRESSIONS),
        _per_client(tables["credit_card_balance"], CC_EXPRESSIONS),
    ]


def aggregate_history(tables: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """One row per client seen in any history table, sorted by SK_ID_CURR.

    Aggregates of a table where the client has no rows are null; the count
    columns (`ZERO_WHEN_ABSENT`) are 0 there.
    """
    missing = [t for t in HISTORY_TABLES if t not in tables]
    if missing:
        raise KeyError(f"aggregate_history needs the tables {', '.join(missing)}")
    # Full joins (each aggregate used once: the streaming engine would compute a part twice
    # if it were also used to list the client ids).
    parts = table_aggregates(tables)
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, on="SK_ID_CURR", how="full", coalesce=True)
    return out.with_columns(pl.col(c).fill_null(0) for c in ZERO_WHEN_ABSENT).sort("SK_ID_CURR")


def history_on(ids: pl.DataFrame, parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The aggregates of `parts` (collected `table_aggregates`) aligned row by row with `ids`.

    Same columns and values as `aggregate_history`, but one row per id of
    `ids` (a SK_ID_CURR column), in that order, clients without history
    included. The batch build uses it to line history up with the application
    rows without a final join.
    """
    out = ids.select(pl.col("SK_ID_CURR").cast(pl.Int64))
    for part in parts:
        out = out.join(part, on="SK_ID_CURR", how="left", maintain_order="left")
    return out.with_columns(pl.col(c).fill_null(0) for c in ZERO_WHEN_ABSENT)


def empty_tables() -> dict[str, pl.LazyFrame]:
    """Zero-row frames with each history table's schema (gives the aggregate schema)."""
    return {t: pl.LazyFrame(schema=TABLES[t].polars_schema) for t in HISTORY_TABLES}
