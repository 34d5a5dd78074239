"""Synthetic Home Credit history: previous_application and its three monthly tables.

POS_CASH_balance and installments_payments follow the approved consumer and
cash loans month by month; credit_card_balance follows the approved cards.
Risky behaviour shows as refused applications, late or short instalment
payments, days past due and high card utilisation.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from scoring.data.generator.common import (
    Clients,
    cat_series,
    categories,
    code_of,
    draw,
    draw_codes,
    frame,
    money,
    repeat_index,
    sigmoid,
    with_nulls,
)
from scoring.data.schema import DAYS_NOT_APPLICABLE

P = "previous_application"
POS = "POS_CASH_balance"
INS = "installments_payments"
CC = "credit_card_balance"
DAYS_PER_MONTH = 30.4375
NA = float(DAYS_NOT_APPLICABLE)

#: Share of clients with a credit card at Home Credit (credit_card_balance rows).
CARD_SHARE = 0.28
#: Share of approved instalment loans with POS_CASH_balance / installments_payments rows.
POS_COVERAGE = 0.8
INSTALMENT_COVERAGE = 0.95
CONSUMER, CASH, REVOLVING, XNA_TYPE = 0, 1, 2, 3

GOODS = {
    "Mobile": 0.32, "Consumer Electronics": 0.18, "Computers": 0.15, "Audio/Video": 0.14,
    "Furniture": 0.075, "Photo / Cinema Equipment": 0.036, "Construction Materials": 0.036,
    "Clothing and Accessories": 0.033, "Auto Accessories": 0.011, "Jewelry": 0.0093,
    "Homewares": 0.007, "Medical Supplies": 0.0055, "Vehicles": 0.0051, "Sport and Leisure": 0.0036,
    "Gardening": 0.0032, "Other": 0.0024, "Office Appliances": 0.0017, "Tourism": 0.0015,
    "Medicine": 0.0012, "Direct Sales": 0.0004, "Fitness": 0.0002, "Additional Service": 0.0001,
    "Education": 0.0001, "Weapon": 0.00005, "Insurance": 0.00004, "House Construction": 0.000001,
    "Animals": 0.000001,
}
PURPOSES = {
    "Repairs": 0.28, "Other": 0.18, "Urgent needs": 0.16, "Buying a used car": 0.055,
    "Building a house or an annex": 0.052, "Everyday expenses": 0.046, "Medicine": 0.042,
    "Payments on other loans": 0.036, "Education": 0.031, "Journey": 0.024,
    "Purchase of electronic equipment": 0.021, "Buying a new car": 0.018,
    "Wedding / gift / holiday": 0.015, "Buying a home": 0.017, "Car repairs": 0.015,
    "Furniture": 0.014, "Buying a holiday home / land": 0.009, "Business development": 0.008,
    "Gasification / water supply": 0.005, "Buying a garage": 0.003, "Hobby": 0.001,
    "Money for a third person": 0.0005, "Refusal to name the goal": 0.0003,
}


def _annuity(credit: np.ndarray, months: np.ndarray, rate: np.ndarray) -> np.ndarray:
    months = np.maximum(months, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(rate > 0, credit * rate / (1.0 - (1.0 + rate) ** (-months)), credit / months)
    return a


def _kind_strings(kind: np.ndarray, options: dict[int, tuple[tuple[str, ...], list[float]]],
                  rng: np.random.Generator, column: str) -> pl.Series:
    """Per-row category chosen from a per-contract-kind distribution."""
    cats = categories(P, column)
    codes = np.zeros(len(kind), dtype=np.int64)
    for k, (values, probs) in options.items():
        mask = kind == k
        p = np.asarray(probs, dtype=float)
        codes[mask] = np.array([cats.index(v) for v in values])[rng.choice(len(values), mask.sum(), p=p / p.sum())]
    return cat_series(P, column, codes)


def generate_previous(rng: np.random.Generator, clients: Clients,
                      first_id: int) -> dict[str, pl.DataFrame]:
    """previous_application, POS_CASH_balance, installments_payments, credit_card_balance of one chunk."""
    nc = clients.n
    card_client = rng.random(nc) < CARD_SHARE
    has = card_client | (rng.random(nc) < 0.95)
    counts = np.where(has, 1 + rng.negative_binomial(1.4, 1.4 / (1.4 + 3.9), nc), 0)
    owner, pos_in_client = repeat_index(counts)
    n = len(owner)
    behaviour = clients.behaviour[owner]
    worth = clients.worthiness[owner]
    sk_id_prev = first_id + rng.permutation(n).astype(np.int64)
    is_card = card_client[owner] & (pos_in_client == 0)

    kind = rng.choice(4, n, p=[0.47, 0.455, 0.0748, 0.0002])
    kind[is_card] = REVOLVING
    offer = ((kind == CASH) & (rng.random(n) < 0.42)) | (kind == XNA_TYPE)

    # Decision: refusals follow risk; offers are cancelled; a few unused offers.
    refused = ~is_card & ~offer & (rng.random(n) < sigmoid(-1.9 + 1.0 * behaviour + 0.55 * worth))
    u = rng.random(n)
    unused = ~is_card & ~offer & ~refused & (kind == CONSUMER) & (u < 0.035)
    canceled = offer | (~is_card & ~refused & ~unused & (kind == REVOLVING) & (u < 0.5))
    approved = ~refused & ~unused & ~canceled
    status = np.select([approved, refused, unused], [code_of(P, "NAME_CONTRACT_STATUS", v) for v in
                                                     ("Approved", "Refused", "Unused offer")],
                       code_of(P, "NAME_CONTRACT_STATUS", "Canceled"))

    adult_days = np.maximum(np.floor((clients.age_years[owner] - 18.0) * 365.25), 30)
    ago = np.exp(rng.normal(np.log(560), 1.0, n))
    ago = np.where(ago > 2922, rng.uniform(2300, 2922, n), ago)
    ago = np.where(approved & (kind != REVOLVING), np.minimum(np.exp(rng.normal(np.log(800), 0.85, n)), 2922), ago)
    days_decision = np.where(is_card, 1 + 2900 * rng.beta(1.25, 1.8, n), ago)
    days_decision = -np.minimum(np.round(days_decision), adult_days)

    # Amounts and terms by contract kind.
    application = np.exp(rng.normal(np.log(55_000), 0.95, n))
    application = np.where(kind == CASH, np.round(np.exp(rng.normal(np.log(260_000), 0.8, n)) / 4500) * 4500,
                           money(application))
    card_limit = rng.choice([45_000, 67_500, 90_000, 112_500, 135_000, 180_000, 225_000, 270_000, 450_000],
                            n, p=[.12, .08, .1, .08, .22, .14, .12, .07, .07]).astype(float)
    application = np.where(kind == REVOLVING, np.where(is_card | (rng.random(n) < 0.5), card_limit, 0.0),
                           application)
    application = np.where(offer, 0.0, application)
    has_down = (kind == CONSUMER) | ((kind == CASH) & ~offer & (rng.random(n) < 0.03))
    down_rate = np.where(has_down, np.where(rng.random(n) < 0.55, 0.0, rng.beta(1.3, 6.0, n)), np.nan)
    down = np.where(has_down, money(application * np.nan_to_num(down_rate)), np.nan)
    credit = np.where(kind == CONSUMER, money(application - np.nan_to_num(down)), application)
    credit = np.where((kind == CASH) & (rng.random(n) < 0.6), money(credit * rng.uniform(1.0, 1.2, n)), credit)
    term = np.select(
        [kind == CONSUMER, kind == CASH],
        [rng.choice([4, 6, 8, 10, 12, 18, 24, 36], n, p=[.04, .2, .05, .2, .28, .09, .11, .03]),
         rng.choice([6, 12, 18, 24, 30, 36, 48, 60], n, p=[.05, .3, .08, .2, .06, .15, .06, .1])], 0)
    no_interest = (kind == CONSUMER) & (rng.random(n) < 0.17)
    rate = np.where(no_interest, 0.0, rng.uniform(0.01, 0.035, n))
    annuity = np.where(kind == REVOLVING, money(credit * 0.05), money(_annuity(credit, term, rate)))
    amounts_null = offer
    goods = np.where((kind == REVOLVING) & (application == 0), np.nan, application)

    # Timeline of approved contracts (365243 = "not applicable", as in the real file).
    instalment_loan = approved & ((kind == CONSUMER) | (kind == CASH)) & (term > 0)
    first_due = np.where(instalment_loan, days_decision + rng.integers(15, 45, n), NA)
    instalment_loan &= first_due < 0  # not yet due at application time: first due stays "not applicable"
    first_due = np.where(instalment_loan, first_due, NA)
    card_drawn = is_card & (rng.random(n) < 0.7)
    first_drawing = np.where(card_drawn, days_decision + rng.integers(1, 60, n), NA)
    first_drawing = np.where(first_drawing < NA, np.minimum(first_drawing, -1), NA)
    first_due = np.where(card_drawn, np.minimum(days_decision + 30, -1), first_due)
    last_due_1st = np.where(instalment_loan, np.round(first_due + DAYS_PER_MONTH * (term - 1)), NA)
    early = instalment_loan & (rng.random(n) < 0.45)
    planned_end = np.where(early, np.round(first_due + DAYS_PER_MONTH * (term - 1) * rng.uniform(0.2, 0.95, n)),
                           last_due_1st)
    finished = instalment_loan & (planned_end <= -1)
    last_due = np.where(finished, planned_end, NA)
    termination = np.where(finished, np.minimum(planned_end + rng.integers(0, 12, n), -1), NA)
    not_approved = ~approved

    cols = {
        "SK_ID_PREV": sk_id_prev,
        "SK_ID_CURR": clients.sk_id_curr[owner],
        "NAME_CONTRACT_TYPE": cat_series(P, "NAME_CONTRACT_TYPE", kind),
        "AMT_ANNUITY": with_nulls(annuity, amounts_null),
        "AMT_APPLICATION": application,
        "AMT_CREDIT": credit,
        "AMT_DOWN_PAYMENT": down,
        "AMT_GOODS_PRICE": with_nulls(goods, amounts_null),
        "WEEKDAY_APPR_PROCESS_START": draw(rng, P, "WEEKDAY_APPR_PROCESS_START", {
            "MONDAY": 0.154, "TUESDAY": 0.153, "WEDNESDAY": 0.153, "THURSDAY": 0.15, "FRIDAY": 0.151,
            "SATURDAY": 0.144, "SUNDAY": 0.095}, n),
        "HOUR_APPR_PROCESS_START": np.clip(np.round(rng.normal(12.5, 3.3, n)), 0, 23).astype(np.int64),
        "FLAG_LAST_APPL_PER_CONTRACT": cat_series(P, "FLAG_LAST_APPL_PER_CONTRACT",
                                                  (rng.random(n) < 0.005).astype(np.int64)),
        "NFLAG_LAST_APPL_IN_DAY": (rng.random(n) < 0.9965).astype(np.int64),
        "RATE_DOWN_PAYMENT": down_rate,
        "RATE_INTEREST_PRIMARY": with_nulls(rng.uniform(0.03, 0.2, n), rng.random(n) < 0.9964),
        "RATE_INTEREST_PRIVILEGED": with_nulls(rng.uniform(0.37, 0.87, n), rng.random(n) < 0.9964),
        "NAME_CASH_LOAN_PURPOSE": cat_series(P, "NAME_CASH_LOAN_PURPOSE", np.where(
            kind == CASH, np.where(offer | (rng.random(n) < 0.75), code_of(P, "NAME_CASH_LOAN_PURPOSE", "XNA"),
                                   draw_codes(rng, P, "NAME_CASH_LOAN_PURPOSE", PURPOSES, n)),
            np.where(kind == XNA_TYPE, code_of(P, "NAME_CASH_LOAN_PURPOSE", "XNA"),
                     code_of(P, "NAME_CASH_LOAN_PURPOSE", "XAP")))),
        "NAME_CONTRACT_STATUS": cat_series(P, "NAME_CONTRACT_STATUS", status),
        "DAYS_DECISION": days_decision.astype(np.int64),
        "NAME_PAYMENT_TYPE": cat_series(P, "NAME_PAYMENT_TYPE", np.where(
            offer | (kind == REVOLVING) | (rng.random(n) < 0.04), code_of(P, "NAME_PAYMENT_TYPE", "XNA"),
            draw_codes(rng, P, "NAME_PAYMENT_TYPE", {
                "Cash through the bank": 0.985, "Non-cash from your account": 0.012,
                "Cashless from the account of the employer": 0.003}, n))),
        "CODE_REJECT_REASON": cat_series(P, "CODE_REJECT_REASON", np.select(
            [refused, unused], [draw_codes(rng, P, "CODE_REJECT_REASON", {
                "HC": 0.6, "LIMIT": 0.19, "SCO": 0.13, "SCOFR": 0.045, "XNA": 0.018, "VERIF": 0.013,
                "SYSTEM": 0.004}, n), code_of(P, "CODE_REJECT_REASON", "CLIENT")],
            code_of(P, "CODE_REJECT_REASON", "XAP"))),
        "NAME_TYPE_SUITE": draw(rng, P, "NAME_TYPE_SUITE", {
            "Unaccompanied": 0.6, "Family": 0.25, "Spouse, partner": 0.079, "Children": 0.037,
            "Other_B": 0.02, "Other_A": 0.011, "Group of people": 0.0026}, n,
            offer | (rng.random(n) < 0.36)),
        "NAME_CLIENT_TYPE": cat_series(P, "NAME_CLIENT_TYPE", np.where(
            pos_in_client == counts[owner] - 1,
            draw_codes(rng, P, "NAME_CLIENT_TYPE", {"New": 0.7, "Repeater": 0.25, "Refreshed": 0.05}, n),
            draw_codes(rng, P, "NAME_CLIENT_TYPE", {"Repeater": 0.86, "Refreshed": 0.1, "New": 0.035,
                                                    "XNA": 0.001}, n))),
        "NAME_GOODS_CATEGORY": cat_series(P, "NAME_GOODS_CATEGORY", np.where(
            kind == CONSUMER, draw_codes(rng, P, "NAME_GOODS_CATEGORY", GOODS, n),
            code_of(P, "NAME_GOODS_CATEGORY", "XNA"))),
        "NAME_PORTFOLIO": cat_series(P, "NAME_PORTFOLIO", np.select(
            [offer, kind == CONSUMER, kind == CASH, kind == REVOLVING],
            [code_of(P, "NAME_PORTFOLIO", v) for v in ("XNA", "POS", "Cash", "Cards")],
            code_of(P, "NAME_PORTFOLIO", "XNA"))),
        "NAME_PRODUCT_TYPE": cat_series(P, "NAME_PRODUCT_TYPE", np.where(
            kind == CONSUMER, code_of(P, "NAME_PRODUCT_TYPE", "XNA"),
            draw_codes(rng, P, "NAME_PRODUCT_TYPE", {"x-sell": 0.58, "walk-in": 0.2, "XNA": 0.22}, n))),
        "CHANNEL_TYPE": _kind_strings(kind, {
            CONSUMER: (("Country-wide", "Stone", "Regional / Local", "Car dealer"), [0.55, 0.3, 0.145, 0.005]),
            CASH: (("Credit and cash offices", "Contact center", "AP+ (Cash loan)",
                    "Channel of corporate sales"), [0.82, 0.09, 0.085, 0.005]),
            REVOLVING: (("Credit and cash offices", "Country-wide", "Stone", "Regional / Local", "AP+ (Cash loan)"),
                        [0.55, 0.2, 0.1, 0.1, 0.05]),
            XNA_TYPE: (("Credit and cash offices",), [1.0]),
        }, rng, "CHANNEL_TYPE"),
        "SELLERPLACE_AREA": np.where(
            kind == CONSUMER, np.where(rng.random(n) < 0.12, 0, np.round(np.exp(rng.normal(np.log(90), 1.6, n)))),
            np.where(rng.random(n) < 0.85, -1, 0)).astype(np.int64),
        "NAME_SELLER_INDUSTRY": cat_series(P, "NAME_SELLER_INDUSTRY", np.where(
            kind == CONSUMER, draw_codes(rng, P, "NAME_SELLER_INDUSTRY", {
                "Consumer electronics": 0.48, "Connectivity": 0.33, "Furniture": 0.07,
                "Construction": 0.035, "Clothing": 0.03, "Industry": 0.02, "Auto technology": 0.006,
                "Jewelry": 0.004, "MLM partners": 0.002, "Tourism": 0.002, "XNA": 0.02}, n),
            code_of(P, "NAME_SELLER_INDUSTRY", "XNA"))),
        "CNT_PAYMENT": with_nulls(term, amounts_null),
        "NAME_YIELD_GROUP": cat_series(P, "NAME_YIELD_GROUP", np.where(
            offer | (kind == REVOLVING), code_of(P, "NAME_YIELD_GROUP", "XNA"),
            np.where(no_interest, code_of(P, "NAME_YIELD_GROUP", "low_action"),
                     draw_codes(rng, P, "NAME_YIELD_GROUP", {"middle": 0.35, "high": 0.33, "low_normal": 0.32}, n)))),
        "PRODUCT_COMBINATION": _product_combination(rng, kind, offer, no_interest),
        "DAYS_FIRST_DRAWING": with_nulls(first_drawing, not_approved),
        "DAYS_FIRST_DUE": with_nulls(first_due, not_approved),
        "DAYS_LAST_DUE_1ST_VERSION": with_nulls(last_due_1st, not_approved),
        "DAYS_LAST_DUE": with_nulls(last_due, not_approved),
        "DAYS_TERMINATION": with_nulls(termination, not_approved),
        "NFLAG_INSURED_ON_APPROVAL": with_nulls((rng.random(n) < 0.33).astype(float), not_approved),
    }
    frames = {P: frame(P, cols)}

    # Per-loan payment habits: a client's behaviour shows in lateness, shortfalls and DPD.
    risk = behaviour + 0.3 * worth
    loans = np.flatnonzero(instalment_loan & (first_due < -1))
    loan = {
        "sk_id_prev": sk_id_prev[loans], "sk_id_curr": clients.sk_id_curr[owner[loans]],
        "decision": days_decision[loans], "first_due": first_due[loans], "term": term[loans],
        "end": planned_end[loans], "finished": finished[loans], "annuity": annuity[loans],
        "risk": risk[loans], "early": early[loans],
    }
    # As in the real files, not every loan has monthly rows in each table.
    in_pos = rng.random(len(loans)) < POS_COVERAGE
    in_ins = rng.random(len(loans)) < INSTALMENT_COVERAGE
    frames[POS] = _pos_cash(rng, {k: v[in_pos] for k, v in loan.items()})
    cards = np.flatnonzero(is_card)
    card = {
        "sk_id_prev": sk_id_prev[cards], "sk_id_curr": clients.sk_id_curr[owner[cards]],
        "decision": days_decision[cards], "limit": application[cards], "risk": risk[cards],
    }
    frames[CC], card_payments = _credit_card(rng, card)
    frames[INS] = _installments(rng, {k: v[in_ins] for k, v in loan.items()}, card_payments)
    return frames


def _product_combination(rng: np.random.Generator, kind: np.ndarray, offer: np.ndarray,
                         no_interest: np.ndarray) -> pl.Series:
    n = len(kind)
    consumer_with = draw_codes(rng, P, "PRODUCT_COMBINATION", {
        "POS household with interest": 0.42, "POS mobile with interest": 0.34,
        "POS industry with interest": 0.16, "POS other with interest": 0.08}, n)
    consumer_without = draw_codes(rng, P, "PRODUCT_COMBINATION", {
        "POS household without interest": 0.6, "POS mobile without interest": 0.18,
        "POS industry without interest": 0.18, "POS others without interest": 0.04}, n)
    cash = draw_codes(rng, P, "PRODUCT_COMBINATION", {
        "Cash X-Sell: middle": 0.24, "Cash X-Sell: low": 0.22, "Cash X-Sell: high": 0.13,
        "Cash Street: high": 0.14, "Cash Street: middle": 0.07, "Cash Street: low": 0.07,
        "Cash": 0.13}, n)
    cards = draw_codes(rng, P, "PRODUCT_COMBINATION", {"Card Street": 0.55, "Card X-Sell": 0.45}, n)
    codes = np.select(
        [offer, kind == CONSUMER, kind == CASH, kind == REVOLVING],
        [np.full(n, code_of(P, "PRODUCT_COMBINATION", "Cash")),
         np.where(no_interest, consumer_without, consumer_with), cash, cards], cash)
    return cat_series(P, "PRODUCT_COMBINATION", codes, rng.random(n) < 0.0002)


def _pos_cash(rng: np.random.Generator, loan: dict[str, np.ndarray]) -> pl.DataFrame:
    """Monthly rows of each instalment loan, from its decision to its end (or last month)."""
    start = np.maximum(np.floor(loan["decision"] / DAYS_PER_MONTH), -96).astype(np.int64)
    stop = np.minimum(np.floor(loan["end"] / DAYS_PER_MONTH) + loan["finished"], -1).astype(np.int64)
    stop = np.maximum(stop, start)
    counts = stop - start + 1
    parent, pos = repeat_index(counts)
    month = start[parent] + pos
    first_due_month = np.floor(loan["first_due"] / DAYS_PER_MONTH).astype(np.int64)[parent]
    term = loan["term"][parent].astype(float)
    paid = np.clip(month - first_due_month, 0, None)
    future = np.clip(term - paid, 0, None)
    last = pos == counts[parent] - 1
    completed = last & loan["finished"][parent]
    future = np.where(completed | (last & loan["early"][parent] & loan["finished"][parent]), 0.0, future)
    status = np.where(completed, code_of(POS, "NAME_CONTRACT_STATUS", "Completed"),
                      code_of(POS, "NAME_CONTRACT_STATUS", "Active"))
    status = np.where((pos == 0) & (rng.random(len(pos)) < 0.1), code_of(POS, "NAME_CONTRACT_STATUS", "Signed"),
                      status)
    n = len(parent)
    late = rng.random(n) < sigmoid(-5.4 + 1.5 * loan["risk"][parent])
    dpd = np.where(late, np.minimum(rng.geometric(1 / 12.0, n), 3000), 0)
    dpd_def = np.where(late & (rng.random(n) < 0.45), dpd, 0)
    return frame(POS, {
        "SK_ID_PREV": loan["sk_id_prev"][parent],
        "SK_ID_CURR": loan["sk_id_curr"][parent],
        "MONTHS_BALANCE": month,
        "CNT_INSTALMENT": term,
        "CNT_INSTALMENT_FUTURE": future,
        "NAME_CONTRACT_STATUS": cat_series(POS, "NAME_CONTRACT_STATUS", status),
        "SK_DPD": dpd.astype(np.int64),
        "SK_DPD_DEF": dpd_def.astype(np.int64),
    })


def _installments(rng: np.random.Generator, loan: dict[str, np.ndarray],
                  card_payments: dict[str, np.ndarray]) -> pl.DataFrame:
    """One row per instalment paid (a few paid in two parts); lateness and shortfalls follow risk."""
    first_due = loan["first_due"]
    due_months = np.floor((np.minimum(loan["end"], -1) - first_due) / DAYS_PER_MONTH).astype(np.int64) + 1
    counts = np.clip(np.minimum(due_months, loan["term"]), 1, None)
    parent, pos = repeat_index(counts)
    number = pos + 1
    days_inst = np.round(first_due[parent] + DAYS_PER_MONTH * pos)
    amount = loan["annuity"][parent]
    last = pos == counts[parent] - 1
    payoff = last & loan["early"][parent] & loan["finished"][parent]
    remaining = np.clip(loan["term"][parent] - number, 0, None)
    amount = np.where(payoff, money(amount * (1 + 0.9 * remaining)), amount)
    n = len(parent)
    risk = loan["risk"][parent]
    late = rng.random(n) < sigmoid(-3.5 + 1.6 * risk)
    early_days = np.minimum(rng.geometric(0.12, n) - 1, 60)
    late_days = np.minimum(rng.geometric(1 / 9.0, n), 400)
    entry = np.where(late, days_inst + late_days, days_inst - early_days)
    short = rng.random(n) < sigmoid(-3.6 + 1.0 * risk)
    payment = np.where(short, money(amount * rng.uniform(0.05, 0.95, n)), amount)
    version = np.where(rng.random(n) < 0.05, 2.0, 1.0)
    version = np.where(number == 1, 1.0, version)

    # Some instalments are paid in two parts: duplicate the row and split the payment.
    split = (rng.random(n) < 0.2) & (payment > 100)
    share = rng.uniform(0.2, 0.8, n)
    rows = {
        "SK_ID_PREV": loan["sk_id_prev"][parent], "SK_ID_CURR": loan["sk_id_curr"][parent],
        "NUM_INSTALMENT_VERSION": version, "NUM_INSTALMENT_NUMBER": number,
        "DAYS_INSTALMENT": days_inst, "DAYS_ENTRY_PAYMENT": entry, "AMT_INSTALMENT": amount,
        "AMT_PAYMENT": np.where(split, money(payment * share), payment),
    }
    extra = {k: v[split] for k, v in rows.items()}
    extra["AMT_PAYMENT"] = money(payment[split] * (1 - share[split]))
    extra["DAYS_ENTRY_PAYMENT"] = extra["DAYS_ENTRY_PAYMENT"] + rng.integers(0, 20, int(split.sum()))
    parts = [rows, extra, card_payments]
    out = {k: np.concatenate([p[k] for p in parts]) for k in rows}
    out["DAYS_ENTRY_PAYMENT"] = np.minimum(out["DAYS_ENTRY_PAYMENT"], -1.0)
    out["NUM_INSTALMENT_NUMBER"] = out["NUM_INSTALMENT_NUMBER"].astype(np.int64)
    return frame(INS, out)


def _credit_card(rng: np.random.Generator,
                 card: dict[str, np.ndarray]) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """Monthly card statements from opening to last month; utilisation and DPD follow risk."""
    nk = len(card["sk_id_prev"])
    start = np.maximum(np.floor(card["decision"] / DAYS_PER_MONTH), -96).astype(np.int64)
    counts = -start
    counts = np.maximum(counts, 1)
    parent, pos = repeat_index(counts)
    n = len(parent)
    month = start[parent] + pos
    risk = card["risk"][parent]
    used_card = (rng.random(nk) < 0.45)[parent]
    level = sigmoid(-0.3 + 1.0 * card["risk"] + rng.normal(0, 1.0, nk))[parent]
    limit = np.where(rng.random(nk) < 0.03, 0.0, card["limit"])[parent]
    idle = rng.random(n) < 0.21
    util = np.clip(level + 0.12 * rng.normal(size=n), 0, 1.05) * used_card
    balance = money(limit * util)
    ratio_atm = rng.random(n)
    drawing = np.where(idle | ~used_card | (rng.random(n) < 0.5), 0.0, money(limit * rng.beta(0.6, 6.0, n)))
    atm = np.where(ratio_atm < 0.75, np.round(drawing / 4500) * 4500, 0.0)
    pos_draw = np.where(ratio_atm >= 0.75, drawing, 0.0)
    other = np.where(rng.random(n) < 0.003, money(drawing * 0.5), 0.0)
    drawings = money(atm + pos_draw + other)
    cnt_atm = np.ceil(atm / 20_000)
    cnt_pos = np.ceil(pos_draw / 6_000)
    cnt_other = (other > 0).astype(float)
    min_reg = money(balance * 0.05)
    good_payer = rng.random(n) > sigmoid(-2.5 + 1.2 * risk)
    payment = np.where(balance > 0, np.where(good_payer, money(min_reg * rng.uniform(1.0, 4.0, n)),
                                             money(min_reg * rng.uniform(0.0, 0.9, n))), 0.0)
    payment_null = idle
    receivable = money(balance * rng.uniform(0.995, 1.005, n))
    mature = np.floor(pos * rng.uniform(0.3, 1.0, nk)[parent])
    first_rows = pos == 0
    status = np.full(n, code_of(CC, "NAME_CONTRACT_STATUS", "Active"))
    closed = (rng.random(nk) < 0.12)[parent] & (pos >= counts[parent] - 2) & (counts[parent] > 6)
    status = np.where(closed, code_of(CC, "NAME_CONTRACT_STATUS", "Completed"), status)
    status = np.where(first_rows & (rng.random(n) < 0.02), code_of(CC, "NAME_CONTRACT_STATUS", "Signed"), status)
    delinquent = (balance > 0) & ~good_payer & (rng.random(n) < sigmoid(-2.0 + 1.2 * risk))
    dpd = np.where(delinquent, rng.integers(1, 60, n), 0)
    dpd_def = np.where(delinquent & (rng.random(n) < 0.35), dpd, 0)
    frame_cc = frame(CC, {
        "SK_ID_PREV": card["sk_id_prev"][parent],
        "SK_ID_CURR": card["sk_id_curr"][parent],
        "MONTHS_BALANCE": month,
        "AMT_BALANCE": balance,
        "AMT_CREDIT_LIMIT_ACTUAL": limit.astype(np.int64),
        "AMT_DRAWINGS_ATM_CURRENT": with_nulls(atm, idle),
        "AMT_DRAWINGS_CURRENT": drawings,
        "AMT_DRAWINGS_OTHER_CURRENT": with_nulls(other, idle),
        "AMT_DRAWINGS_POS_CURRENT": with_nulls(pos_draw, idle),
        "AMT_INST_MIN_REGULARITY": with_nulls(min_reg, first_rows | (rng.random(n) < 0.06)),
        "AMT_PAYMENT_CURRENT": with_nulls(payment, payment_null),
        "AMT_PAYMENT_TOTAL_CURRENT": payment,
        "AMT_RECEIVABLE_PRINCIPAL": money(balance * 0.96),
        "AMT_RECIVABLE": receivable,
        "AMT_TOTAL_RECEIVABLE": receivable,
        "CNT_DRAWINGS_ATM_CURRENT": with_nulls(cnt_atm, idle),
        "CNT_DRAWINGS_CURRENT": (cnt_atm + cnt_pos + cnt_other).astype(np.int64),
        "CNT_DRAWINGS_OTHER_CURRENT": with_nulls(cnt_other, idle),
        "CNT_DRAWINGS_POS_CURRENT": with_nulls(cnt_pos, idle),
        "CNT_INSTALMENT_MATURE_CUM": with_nulls(mature, first_rows | (rng.random(n) < 0.06)),
        "NAME_CONTRACT_STATUS": cat_series(CC, "NAME_CONTRACT_STATUS", status),
        "SK_DPD": dpd.astype(np.int64),
        "SK_DPD_DEF": dpd_def.astype(np.int64),
    })
    # Card repayments also appear in installments_payments (instalment version 0).
    paid = payment > 0
    days = np.round(month[paid] * DAYS_PER_MONTH + rng.integers(0, 28, int(paid.sum())))
    late = delinquent[paid]
    card_payments = {
        "SK_ID_PREV": card["sk_id_prev"][parent][paid], "SK_ID_CURR": card["sk_id_curr"][parent][paid],
        "NUM_INSTALMENT_VERSION": np.zeros(int(paid.sum())),
        "NUM_INSTALMENT_NUMBER": (pos[paid] + 1).astype(np.int64),
        "DAYS_INSTALMENT": days,
        "DAYS_ENTRY_PAYMENT": np.where(late, days + dpd[paid], days - rng.integers(0, 10, int(paid.sum()))),
        "AMT_INSTALMENT": min_reg[paid],
        "AMT_PAYMENT": payment[paid],
    }
    return frame_cc, card_payments
