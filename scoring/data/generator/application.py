"""Synthetic application rows (application_train / application_test) and the latent risk.

The client's default probability is a logistic function of what the
application shows (age, employment, education, income type, gender,
credit-to-income, region...) plus three latent factors: creditworthiness
(seen through EXT_SOURCE_1/2/3), repayment behaviour (seen only in the
history tables) and an unobserved part (what no model can learn). Margins
and missingness follow the real samples in ../shared/realdata.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special

from scoring.data.generator.common import (
    Clients,
    cat_series,
    categories,
    code_of,
    draw,
    draw_codes,
    frame,
    money,
    sigmoid,
    with_nulls,
)
from scoring.data.schema import DAYS_NOT_APPLICABLE, TABLES

T = "application_train"

#: Logit weights of the latent factors; the intercept sets the ~8 % default rate.
W_WORTHINESS = 0.85
W_BEHAVIOUR = 0.95
W_UNOBSERVED = 0.3
INTERCEPT = -3.3

INCOME_TYPE_WORKING = {
    "Working": 0.655, "Commercial associate": 0.245, "State servant": 0.0985,
    "Unemployed": 0.00012, "Student": 0.00011, "Businessman": 0.00005, "Maternity leave": 0.00003,
}
INCOME_TYPE_RISK = {
    "Working": 0.12, "Commercial associate": 0.0, "Pensioner": -0.15, "State servant": -0.3,
    "Unemployed": 1.3, "Student": -0.5, "Businessman": -0.8, "Maternity leave": 1.5,
}
EDUCATION = {
    "Secondary / secondary special": 0.711, "Higher education": 0.2435, "Incomplete higher": 0.0334,
    "Lower secondary": 0.0124, "Academic degree": 0.0006,
}
EDUCATION_RISK = {
    "Secondary / secondary special": 0.12, "Higher education": -0.4, "Incomplete higher": 0.05,
    "Lower secondary": 0.35, "Academic degree": -1.0,
}
OCCUPATION_SECONDARY = {
    "Laborers": 0.30, "Sales staff": 0.17, "Core staff": 0.09, "Managers": 0.045, "Drivers": 0.10,
    "High skill tech staff": 0.03, "Accountants": 0.015, "Medicine staff": 0.04,
    "Security staff": 0.035, "Cooking staff": 0.032, "Cleaning staff": 0.024,
    "Private service staff": 0.012, "Low-skill Laborers": 0.011, "Waiters/barmen staff": 0.007,
    "Secretaries": 0.004, "Realty agents": 0.002, "HR staff": 0.001, "IT staff": 0.001,
}
OCCUPATION_HIGHER = {
    "Laborers": 0.08, "Sales staff": 0.09, "Core staff": 0.25, "Managers": 0.22, "Drivers": 0.03,
    "High skill tech staff": 0.09, "Accountants": 0.10, "Medicine staff": 0.04,
    "Security staff": 0.008, "Cooking staff": 0.006, "Cleaning staff": 0.003,
    "Private service staff": 0.012, "Low-skill Laborers": 0.001, "Waiters/barmen staff": 0.003,
    "Secretaries": 0.008, "Realty agents": 0.006, "HR staff": 0.008, "IT staff": 0.008,
}
OCCUPATION_RISK = {
    "Laborers": 0.2, "Drivers": 0.3, "Low-skill Laborers": 0.7, "Security staff": 0.25,
    "Cooking staff": 0.2, "Waiters/barmen staff": 0.3, "Sales staff": 0.15, "Cleaning staff": 0.1,
    "Managers": -0.2, "Accountants": -0.35, "High skill tech staff": -0.2, "Core staff": -0.2,
    "IT staff": -0.2, "HR staff": -0.1, "Medicine staff": -0.05,
}
ORGANIZATIONS = {
    "Business Entity Type 3": 0.27, "Self-employed": 0.15, "Other": 0.067, "Medicine": 0.045,
    "Business Entity Type 2": 0.042, "Government": 0.042, "School": 0.036, "Trade: type 7": 0.03,
    "Kindergarten": 0.028, "Construction": 0.027, "Business Entity Type 1": 0.024,
    "Transport: type 4": 0.021, "Trade: type 3": 0.014, "Industry: type 9": 0.014,
    "Industry: type 3": 0.013, "Security": 0.013, "Housing": 0.012, "Industry: type 11": 0.011,
    "Military": 0.011, "Bank": 0.01, "Agriculture": 0.01, "Police": 0.0095,
    "Transport: type 2": 0.0089, "Postal": 0.0086, "Security Ministries": 0.0079,
    "Trade: type 2": 0.0075, "Restaurant": 0.0072, "Services": 0.0063, "University": 0.0053,
    "Industry: type 7": 0.0052, "Transport: type 3": 0.0047, "Industry: type 1": 0.0041,
    "Hotel": 0.0038, "Electricity": 0.0038, "Industry: type 4": 0.0035, "Trade: type 6": 0.0025,
    "Industry: type 5": 0.0024, "Insurance": 0.0024, "Telecom": 0.0023, "Emergency": 0.0022,
    "Industry: type 2": 0.0018, "Advertising": 0.0017, "Realtor": 0.0016, "Culture": 0.0015,
    "Industry: type 12": 0.0015, "Trade: type 1": 0.0014, "Mobile": 0.0012,
    "Legal Services": 0.0012, "Cleaning": 0.0011, "Transport: type 1": 0.0008,
    "Industry: type 6": 0.0005, "Industry: type 10": 0.0004, "Religion": 0.0003,
    "Industry: type 13": 0.0004, "Trade: type 4": 0.0002, "Trade: type 5": 0.0002,
    "Industry: type 8": 0.0001,
}
FAMILY = {
    "Married": 0.64, "Single / not married": 0.148, "Civil marriage": 0.097, "Separated": 0.064,
    "Widow": 0.051, "Unknown": 0.00001,
}
FAMILY_RISK = {"Single / not married": 0.12, "Civil marriage": 0.15, "Widow": -0.15}
HOUSING = {
    "House / apartment": 0.887, "With parents": 0.048, "Municipal apartment": 0.036,
    "Rented apartment": 0.016, "Office apartment": 0.0085, "Co-op apartment": 0.0037,
}
HOUSING_RISK = {"With parents": 0.25, "Rented apartment": 0.35, "Municipal apartment": 0.1,
                "Office apartment": -0.2}
SUITE = {
    "Unaccompanied": 0.81, "Family": 0.131, "Spouse, partner": 0.037, "Children": 0.0107,
    "Other_B": 0.0058, "Other_A": 0.0028, "Group of people": 0.0009,
}
WEEKDAYS = {"MONDAY": 0.165, "TUESDAY": 0.175, "WEDNESDAY": 0.169, "THURSDAY": 0.165,
            "FRIDAY": 0.164, "SATURDAY": 0.11, "SUNDAY": 0.052}
DOCUMENT_RATES = {
    2: 4e-5, 3: 0.71, 4: 8e-5, 5: 0.0151, 6: 0.088, 7: 0.0002, 8: 0.081, 9: 0.0039, 10: 2e-5,
    11: 0.0039, 12: 7e-6, 13: 0.0035, 14: 0.0029, 15: 0.0012, 16: 0.0099, 17: 0.00027,
    18: 0.0081, 19: 0.0006, 20: 0.0005, 21: 0.00034,
}
#: Building columns: (base name, probability of null) as in the real train file.
BUILDING = {
    "APARTMENTS": 0.508, "BASEMENTAREA": 0.585, "YEARS_BEGINEXPLUATATION": 0.488,
    "YEARS_BUILD": 0.665, "COMMONAREA": 0.699, "ELEVATORS": 0.533, "ENTRANCES": 0.503,
    "FLOORSMAX": 0.498, "FLOORSMIN": 0.678, "LANDAREA": 0.594, "LIVINGAPARTMENTS": 0.684,
    "LIVINGAREA": 0.502, "NONLIVINGAPARTMENTS": 0.694, "NONLIVINGAREA": 0.552,
}


def _risk_of(codes: np.ndarray, column: str, risk: dict[str, float]) -> np.ndarray:
    table = np.array([risk.get(c, 0.0) for c in categories(T, column)])
    return table[codes]


def _beta_from_score(score: np.ndarray, a: float, b: float) -> np.ndarray:
    """Map a standard-normal score to a Beta(a, b) margin (rank preserving)."""
    return special.betaincinv(a, b, special.ndtr(score))


def _building(rng: np.random.Generator, n: int, cols: dict[str, object]) -> None:
    """The ~47 housing-block statistics: one shared missingness and size factor per client."""
    present = rng.random(n) > 0.485
    size = rng.normal(0.0, 1.0, n)
    base: dict[str, np.ndarray] = {
        "APARTMENTS": np.exp(np.log(0.088) + 0.65 * size + 0.25 * rng.normal(size=n)),
        "BASEMENTAREA": np.exp(np.log(0.076) + 0.45 * size + 0.45 * rng.normal(size=n))
        * (rng.random(n) > 0.07),
        "YEARS_BEGINEXPLUATATION": 1.0 - np.exp(np.log(0.018) + 0.45 * rng.normal(size=n)),
        "YEARS_BUILD": rng.normal(0.755, 0.11, n),
        "COMMONAREA": np.exp(np.log(0.021) + 1.1 * rng.normal(size=n)),
        "ELEVATORS": 0.04 * np.where(rng.random(n) < 0.53, 0, 1 + rng.poisson(3.0, n)),
        "ENTRANCES": np.round(1 + rng.poisson(3.0, n)) / 29.0,
        "FLOORSMAX": rng.choice([1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 16, 18, 20, 24], n,
                                p=[.05, .04, .04, .40, .03, .03, .22, .03, .02, .02, .05, .03, .02, .01, .01]) / 24.0,
        "LANDAREA": np.exp(np.log(0.047) + 1.0 * rng.normal(size=n)) * (rng.random(n) > 0.06),
        "LIVINGAPARTMENTS": np.exp(np.log(0.076) + 0.6 * size + 0.3 * rng.normal(size=n)),
        "LIVINGAREA": np.exp(np.log(0.072) + 0.65 * size + 0.3 * rng.normal(size=n)),
        "NONLIVINGAPARTMENTS": np.where(rng.random(n) < 0.55, 0.0,
                                        np.exp(np.log(0.008) + 0.9 * rng.normal(size=n))),
        "NONLIVINGAREA": np.where(rng.random(n) < 0.35, 0.0,
                                  np.exp(np.log(0.012) + 1.3 * rng.normal(size=n))),
    }
    base["FLOORSMIN"] = np.maximum(base["FLOORSMAX"] - rng.choice([0, 0, 0, 1, 2, 4], n) / 24.0, 0.0)
    for name, p_null in BUILDING.items():
        null = ~present | (rng.random(n) < (p_null - 0.485) / 0.515)
        avg = np.clip(base[name], 0.0, 1.0)
        jitter = {"YEARS_BEGINEXPLUATATION": 0.001, "YEARS_BUILD": 0.01}.get(name, 0.0)
        for suffix in ("AVG", "MODE", "MEDI"):
            if suffix == "AVG" or name in ("ELEVATORS", "ENTRANCES", "FLOORSMAX", "FLOORSMIN"):
                v = avg
            else:
                v = np.clip(avg * np.exp(0.06 * rng.normal(size=n)) + jitter * rng.normal(size=n), 0, 1)
            cols[f"{name}_{suffix}"] = with_nulls(np.round(v, 4), null)
    cols["TOTALAREA_MODE"] = with_nulls(
        np.round(np.clip(base["LIVINGAREA"] * np.exp(0.1 * rng.normal(size=n)) * 0.95, 0, 1), 4),
        ~present | (rng.random(n) < 0.01))
    fond_null = ~present | (rng.random(n) < 0.38)
    cols["FONDKAPREMONT_MODE"] = draw(rng, T, "FONDKAPREMONT_MODE", {
        "reg oper account": 0.755, "reg oper spec account": 0.124, "org spec account": 0.059,
        "not specified": 0.062}, n, fond_null)
    cols["HOUSETYPE_MODE"] = draw(rng, T, "HOUSETYPE_MODE", {
        "block of flats": 0.985, "specific housing": 0.0095, "terraced house": 0.0055}, n,
        ~present | (rng.random(n) < 0.03))
    cols["WALLSMATERIAL_MODE"] = draw(rng, T, "WALLSMATERIAL_MODE", {
        "Panel": 0.44, "Stone, brick": 0.42, "Block": 0.061, "Wooden": 0.036, "Mixed": 0.015,
        "Monolithic": 0.012, "Others": 0.011}, n, ~present | (rng.random(n) < 0.06))
    cols["EMERGENCYSTATE_MODE"] = draw(rng, T, "EMERGENCYSTATE_MODE", {"No": 0.985, "Yes": 0.015}, n,
                                       ~present & (rng.random(n) < 0.95))


def generate_clients(rng: np.random.Generator, sk_id_curr: np.ndarray,
                     is_train: np.ndarray) -> tuple[Clients, dict[str, object]]:
    """Draw one chunk of clients: their application columns and their latent risk."""
    n = len(sk_id_curr)
    cols: dict[str, object] = {"SK_ID_CURR": sk_id_curr}
    logit = np.full(n, INTERCEPT)

    # Who the client is.
    gender = draw_codes(rng, T, "CODE_GENDER", {"F": 0.6583, "M": 0.3417, "XNA": 0.000013}, n)
    male = gender == code_of(T, "CODE_GENDER", "M")
    age = 20.0 + 49.5 * rng.beta(1.35, 1.45, n)
    retire = np.where(male, 60.0, 55.0)
    pensioner = np.where(age >= retire, rng.random(n) < 0.82, rng.random(n) < 0.03 * (age > 35))
    income_type = draw_codes(rng, T, "NAME_INCOME_TYPE", INCOME_TYPE_WORKING, n)
    income_type[pensioner] = code_of(T, "NAME_INCOME_TYPE", "Pensioner")
    no_employer = pensioner | (income_type == code_of(T, "NAME_INCOME_TYPE", "Unemployed"))
    education = draw_codes(rng, T, "NAME_EDUCATION_TYPE", EDUCATION, n)
    higher = np.isin(education, [code_of(T, "NAME_EDUCATION_TYPE", "Higher education"),
                                 code_of(T, "NAME_EDUCATION_TYPE", "Academic degree")])
    family = draw_codes(rng, T, "NAME_FAMILY_STATUS", FAMILY, n)
    widow = (age > 55) & (rng.random(n) < 0.1)
    family[widow] = code_of(T, "NAME_FAMILY_STATUS", "Widow")
    couple = np.isin(family, [code_of(T, "NAME_FAMILY_STATUS", "Married"),
                              code_of(T, "NAME_FAMILY_STATUS", "Civil marriage")])
    child_rate = np.where((age > 24) & (age < 50), 0.62, 0.12) * np.where(couple, 1.2, 0.6)
    children = np.minimum(rng.poisson(child_rate), 8)
    housing = draw_codes(rng, T, "NAME_HOUSING_TYPE", HOUSING, n)
    young_home = (age < 27) & (rng.random(n) < 0.25)
    housing[young_home] = code_of(T, "NAME_HOUSING_TYPE", "With parents")

    # Work.
    emp_years = np.exp(rng.normal(np.log(4.6), 1.0, n))
    emp_years = np.minimum(emp_years, np.maximum(age - 18.0 - rng.random(n), 0.1))
    days_employed = np.where(no_employer, DAYS_NOT_APPLICABLE, -np.maximum(np.round(emp_years * 365.25), 1))
    org = draw_codes(rng, T, "ORGANIZATION_TYPE", ORGANIZATIONS, n)
    org[no_employer] = code_of(T, "ORGANIZATION_TYPE", "XNA")
    occ_sec = draw_codes(rng, T, "OCCUPATION_TYPE", OCCUPATION_SECONDARY, n)
    occ_high = draw_codes(rng, T, "OCCUPATION_TYPE", OCCUPATION_HIGHER, n)
    occupation = np.where(higher, occ_high, occ_sec)
    occupation_null = no_employer | (rng.random(n) < 0.165)

    # Money.
    income = np.exp(rng.normal(np.log(140_000), 0.5, n) + 0.22 * male + 0.25 * higher
                    - 0.25 * pensioner)
    income = np.maximum(np.round(income / 2250.0) * 2250.0, 25_650.0)
    revolving_rate = np.where(is_train, 0.0952, 0.0105)
    revolving = rng.random(n) < revolving_rate
    ratio = np.exp(rng.normal(np.log(3.0), 0.5, n) - 0.15 * pensioner)
    goods = np.maximum(np.round(income * ratio / 4500.0) * 4500.0, 40_500.0)
    goods = np.minimum(goods, 4_050_000.0)
    insured = rng.random(n) < 0.55
    credit = np.where(insured, goods * (1.0 + rng.uniform(0.08, 0.3, n)), goods)
    credit = money(credit, 0.5)
    # The term is set so the annuity is a plausible share of income (~17 % median).
    rate = rng.uniform(0.008, 0.02, n)
    share = 0.17 * np.exp(rng.normal(0.0, 0.35, n))
    months = np.clip(np.round(-np.log1p(-np.minimum(credit * rate / (income * share), 0.95)) / np.log1p(rate)), 6, 60)
    annuity = credit * rate / (1.0 - (1.0 + rate) ** (-months))
    rev_credit = np.minimum(np.maximum(np.round(income * rng.uniform(0.5, 2.0, n) / 22500.0), 1) * 22500.0,
                            1_350_000.0)
    credit = np.where(revolving, rev_credit, credit)
    goods = np.where(revolving, rev_credit, goods)
    annuity = money(np.where(revolving, credit * 0.05, annuity), 0.5)
    goods_null = revolving & (rng.random(n) < 0.008)
    annuity_null = rng.random(n) < 0.00004
    credit_to_income = credit / income

    # Where and how the application was made.
    n_regions = 81
    region_pop = np.round(np.exp(np.random.default_rng(7).normal(np.log(0.018), 0.75, n_regions)), 6)
    region_w = np.random.default_rng(8).dirichlet(np.ones(n_regions) * 0.6)
    region = rng.choice(n_regions, n, p=region_w)
    pop = np.clip(region_pop[region], 0.00029, 0.0725)
    rating = np.where(pop > 0.033, 1, np.where(pop < 0.009, 3, 2))
    rating = np.where(rng.random(n) < 0.12, rng.choice([1, 2, 3], n, p=[.1, .74, .16]), rating)
    rating_city = np.where(rng.random(n) < 0.92, rating, np.clip(rating + rng.choice([-1, 1], n), 1, 3))

    reg_city_not_work = (~no_employer) & (rng.random(n) < 0.28)
    live_city_not_work = reg_city_not_work & (rng.random(n) < 0.72)
    reg_region_not_work = (~no_employer) & (rng.random(n) < 0.055)
    live_region_not_work = reg_region_not_work & (rng.random(n) < 0.8)
    reg_city_not_live = rng.random(n) < 0.078
    reg_region_not_live = reg_city_not_live & (rng.random(n) < 0.19)
    phone_change = np.where(rng.random(n) < 0.122, 0.0,
                            -np.minimum(np.round(rng.exponential(1350.0, n)) + 1,
                                        np.minimum(4292, np.floor((age - 16.0) * 365.25))))
    own_car = rng.random(n) < np.where(male, 0.55, 0.23)

    # The default risk.
    income_type_risk = _risk_of(income_type, "NAME_INCOME_TYPE", INCOME_TYPE_RISK)
    demo = (
        -0.028 * (age - 43.0)
        + 0.30 * male
        + _risk_of(education, "NAME_EDUCATION_TYPE", EDUCATION_RISK)
        + income_type_risk
        + np.where(no_employer, 0.0, -0.45 * (np.log1p(np.minimum(emp_years, 25.0)) - 1.5))
        + 0.28 * (np.log(credit_to_income) - 1.1)
        - 0.45 * revolving
        + 0.33 * (rating - 2)
        + np.where(occupation_null, 0.0, _risk_of(occupation, "OCCUPATION_TYPE", OCCUPATION_RISK))
        + _risk_of(family, "NAME_FAMILY_STATUS", FAMILY_RISK)
        + _risk_of(housing, "NAME_HOUSING_TYPE", HOUSING_RISK)
        + 0.15 * reg_city_not_work
        + 0.12 * (phone_change > -365)
        - 0.12 * own_car
    )
    worthiness = rng.normal(size=n)
    behaviour = rng.normal(size=n)
    unobserved = rng.normal(size=n)
    logit = logit + demo + W_WORTHINESS * worthiness + W_BEHAVIOUR * behaviour + W_UNOBSERVED * unobserved
    true_pd = sigmoid(logit)
    target = (rng.random(n) < true_pd).astype(np.int64)

    # External scores: noisy views of creditworthiness, also coloured by age and the demographics.
    age_z = (age - 43.0) / 12.0
    # (column, weight of worthiness, of age, of demographics, null share, Beta a, Beta b, scale)
    ext_specs = (("EXT_SOURCE_1", 0.95, 0.50, 0.15, 0.564, 3.2, 3.0, 1.0),
                 ("EXT_SOURCE_2", 0.85, 0.10, 0.25, 0.0021, 1.9, 1.0, 0.82),
                 ("EXT_SOURCE_3", 1.00, 0.25, 0.15, 0.198, 2.6, 2.3, 0.95))
    for name, w_worth, w_age, w_demo, p_null, a, b, scale in ext_specs:
        score = -(w_worth * worthiness - w_age * age_z + w_demo * demo / 0.7)
        score = (score + rng.normal(0.0, 1.0, n)) / np.sqrt(1.0 + w_worth ** 2 + w_age ** 2 + w_demo ** 2)
        value = scale * _beta_from_score(score, a, b)
        if name == "EXT_SOURCE_1":  # new clients have this score more often, as in the real test file
            p_null = np.where(is_train, p_null, 0.42)
        null = rng.random(n) < p_null
        cols[name] = with_nulls(np.clip(value, 1e-6, 0.96), null)

    cols["TARGET"] = target
    cols["NAME_CONTRACT_TYPE"] = cat_series(T, "NAME_CONTRACT_TYPE", revolving.astype(np.int64))
    cols["CODE_GENDER"] = cat_series(T, "CODE_GENDER", gender)
    cols["FLAG_OWN_CAR"] = cat_series(T, "FLAG_OWN_CAR", np.where(own_car, 0, 1))
    cols["FLAG_OWN_REALTY"] = cat_series(T, "FLAG_OWN_REALTY", np.where(rng.random(n) < 0.694, 0, 1))
    cols["CNT_CHILDREN"] = children
    cols["AMT_INCOME_TOTAL"] = income
    cols["AMT_CREDIT"] = credit
    cols["AMT_ANNUITY"] = with_nulls(annuity, annuity_null)
    cols["AMT_GOODS_PRICE"] = with_nulls(goods, goods_null)
    cols["NAME_TYPE_SUITE"] = draw(rng, T, "NAME_TYPE_SUITE", SUITE, n, rng.random(n) < 0.0042)
    cols["NAME_INCOME_TYPE"] = cat_series(T, "NAME_INCOME_TYPE", income_type)
    cols["NAME_EDUCATION_TYPE"] = cat_series(T, "NAME_EDUCATION_TYPE", education)
    cols["NAME_FAMILY_STATUS"] = cat_series(T, "NAME_FAMILY_STATUS", family)
    cols["NAME_HOUSING_TYPE"] = cat_series(T, "NAME_HOUSING_TYPE", housing)
    cols["REGION_POPULATION_RELATIVE"] = pop
    days_birth = -np.round(age * 365.25).astype(np.int64)
    cols["DAYS_BIRTH"] = days_birth
    cols["DAYS_EMPLOYED"] = days_employed.astype(np.int64)
    adult_days = -days_birth - 16 * 365
    cols["DAYS_REGISTRATION"] = -np.round(np.minimum(rng.beta(1.2, 1.8, n) * 17_000, adult_days))
    cols["DAYS_ID_PUBLISH"] = -np.round(np.minimum(rng.beta(1.6, 1.1, n) * 6_300, adult_days)).astype(np.int64)
    cols["OWN_CAR_AGE"] = with_nulls(np.minimum(np.round(rng.gamma(1.6, 7.5, n)), 91), ~own_car)
    cols["FLAG_MOBIL"] = np.ones(n, dtype=np.int64)
    cols["FLAG_EMP_PHONE"] = (~no_employer).astype(np.int64)
    cols["FLAG_WORK_PHONE"] = ((~no_employer) & (rng.random(n) < 0.24)).astype(np.int64)
    cols["FLAG_CONT_MOBILE"] = (rng.random(n) < 0.998).astype(np.int64)
    cols["FLAG_PHONE"] = (rng.random(n) < 0.281).astype(np.int64)
    cols["FLAG_EMAIL"] = (rng.random(n) < 0.057).astype(np.int64)
    cols["OCCUPATION_TYPE"] = cat_series(T, "OCCUPATION_TYPE", occupation, occupation_null)
    cols["CNT_FAM_MEMBERS"] = (children + 1 + couple).astype(float)
    cols["REGION_RATING_CLIENT"] = rating.astype(np.int64)
    cols["REGION_RATING_CLIENT_W_CITY"] = rating_city.astype(np.int64)
    cols["WEEKDAY_APPR_PROCESS_START"] = draw(rng, T, "WEEKDAY_APPR_PROCESS_START", WEEKDAYS, n)
    cols["HOUR_APPR_PROCESS_START"] = np.clip(np.round(rng.normal(12.1, 3.3, n)), 0, 23).astype(np.int64)
    cols["REG_REGION_NOT_LIVE_REGION"] = reg_region_not_live.astype(np.int64)
    cols["REG_REGION_NOT_WORK_REGION"] = reg_region_not_work.astype(np.int64)
    cols["LIVE_REGION_NOT_WORK_REGION"] = live_region_not_work.astype(np.int64)
    cols["REG_CITY_NOT_LIVE_CITY"] = reg_city_not_live.astype(np.int64)
    cols["REG_CITY_NOT_WORK_CITY"] = reg_city_not_work.astype(np.int64)
    cols["LIVE_CITY_NOT_WORK_CITY"] = live_city_not_work.astype(np.int64)
    cols["ORGANIZATION_TYPE"] = cat_series(T, "ORGANIZATION_TYPE", org)
    _building(rng, n, cols)

    social_null = rng.random(n) < 0.0033
    obs30 = np.where(rng.random(n) < 0.535, 0, 1 + rng.negative_binomial(1.2, 0.4, n))
    obs60 = np.where(rng.random(n) < 0.97, obs30, obs30 + rng.integers(-1, 2, n)).clip(0)
    def30 = rng.binomial(obs30, np.clip(0.1 * np.exp(0.35 * behaviour), 0, 0.9))
    def60 = np.minimum(def30, rng.binomial(def30, 0.7))
    cols["OBS_30_CNT_SOCIAL_CIRCLE"] = with_nulls(obs30, social_null)
    cols["DEF_30_CNT_SOCIAL_CIRCLE"] = with_nulls(def30, social_null)
    cols["OBS_60_CNT_SOCIAL_CIRCLE"] = with_nulls(obs60, social_null)
    cols["DEF_60_CNT_SOCIAL_CIRCLE"] = with_nulls(def60, social_null)
    cols["DAYS_LAST_PHONE_CHANGE"] = phone_change
    doc_rng = rng.random((len(DOCUMENT_RATES), n))
    for i, (k, p) in enumerate(DOCUMENT_RATES.items()):
        cols[f"FLAG_DOCUMENT_{k}"] = (doc_rng[i] < p).astype(np.int64)
    req_null = rng.random(n) < 0.135
    req = {
        "HOUR": rng.binomial(1, 0.0055, n), "DAY": rng.binomial(1, 0.0055, n),
        "WEEK": rng.binomial(1, 0.031, n) + rng.binomial(1, 0.002, n),
        "MON": np.where(rng.random(n) < 0.88, 0, 1 + rng.geometric(0.55, n) - 1),
        "QRT": np.where(rng.random(n) < 0.81, 0, rng.geometric(0.65, n)),
        "YEAR": rng.negative_binomial(1.6, 0.46, n),
    }
    for k, v in req.items():
        cols[f"AMT_REQ_CREDIT_BUREAU_{k}"] = with_nulls(np.minimum(v, 25), req_null)

    clients = Clients(
        sk_id_curr=sk_id_curr, is_train=is_train, age_years=age, income=income, credit=credit,
        worthiness=worthiness, behaviour=behaviour, true_pd=true_pd, target=target,
    )
    return clients, cols


def application_frames(clients: Clients, cols: dict[str, object]) -> dict[str, pl.DataFrame]:
    """Split one chunk's application columns into the train and the test file frames."""
    full = frame("application_train", cols)
    train = full.filter(pl.Series(clients.is_train))
    test = full.filter(~pl.Series(clients.is_train)).select(TABLES["application_test"].column_names)
    return {"application_train": train, "application_test": test}
