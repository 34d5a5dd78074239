"""Features computed from one application row alone (train or new client).

One expression list (`APPLICATION_EXPRESSIONS`) turns the raw application
columns into the model's application-level features: informative ratios,
durations in years instead of negative day counts, summaries of the external
scores and of the documents provided. Categorical columns stay as strings
(CatBoost reads them natively and an advisor reads one contribution per
category). Raw columns that are noise (FLAG_MOBIL, weekday/hour of the
application), redundant (building *_MODE/*_MEDI copies of *_AVG, individual
FLAG_DOCUMENT_*) or replaced by a converted form (DAYS_*) are dropped.
"""

from __future__ import annotations

import polars as pl

from scoring.data.schema import DAYS_NOT_APPLICABLE, TABLES

YEAR_DAYS = 365.25

#: Raw application columns and their dtypes (application_train, TARGET included).
APPLICATION_SCHEMA: dict[str, pl.DataType] = TABLES["application_train"].polars_schema

#: Categorical application columns kept as they are (pl.String).
CATEGORICAL_KEPT = (
    "NAME_CONTRACT_TYPE", "CODE_GENDER", "FLAG_OWN_CAR", "FLAG_OWN_REALTY", "NAME_TYPE_SUITE",
    "NAME_INCOME_TYPE", "NAME_EDUCATION_TYPE", "NAME_FAMILY_STATUS", "NAME_HOUSING_TYPE",
    "OCCUPATION_TYPE", "ORGANIZATION_TYPE", "HOUSETYPE_MODE", "EMERGENCYSTATE_MODE",
)

#: Numeric application columns kept unchanged.
NUMERIC_KEPT = (
    "CNT_CHILDREN", "AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE",
    "CNT_FAM_MEMBERS", "REGION_POPULATION_RELATIVE", "REGION_RATING_CLIENT",
    "REGION_RATING_CLIENT_W_CITY", "REG_REGION_NOT_LIVE_REGION", "REG_REGION_NOT_WORK_REGION",
    "LIVE_REGION_NOT_WORK_REGION", "REG_CITY_NOT_LIVE_CITY", "REG_CITY_NOT_WORK_CITY",
    "LIVE_CITY_NOT_WORK_CITY", "OWN_CAR_AGE", "FLAG_EMP_PHONE", "FLAG_WORK_PHONE", "FLAG_PHONE",
    "FLAG_EMAIL", "EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3",
    "OBS_30_CNT_SOCIAL_CIRCLE", "DEF_30_CNT_SOCIAL_CIRCLE", "DEF_60_CNT_SOCIAL_CIRCLE",
    "AMT_REQ_CREDIT_BUREAU_HOUR", "AMT_REQ_CREDIT_BUREAU_DAY", "AMT_REQ_CREDIT_BUREAU_WEEK",
    "AMT_REQ_CREDIT_BUREAU_MON", "AMT_REQ_CREDIT_BUREAU_QRT", "AMT_REQ_CREDIT_BUREAU_YEAR",
    "FLAG_DOCUMENT_3",
)

#: Building descriptors: only the *_AVG variant (the *_MODE/*_MEDI copies are redundant).
BUILDING_KEPT = tuple(
    c for c in APPLICATION_SCHEMA if c.endswith("_AVG")
) + ("TOTALAREA_MODE",)

DOCUMENT_FLAGS = tuple(c for c in APPLICATION_SCHEMA if c.startswith("FLAG_DOCUMENT_"))
EXT_SOURCES = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")


def _f(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null (not inf) when the denominator is 0 or missing."""
    return pl.when(denominator != 0).then(numerator / denominator)


def years_ago(days_col: str) -> pl.Expr:
    """A negative day count relative to the application turned into positive years."""
    return -_f(days_col) / YEAR_DAYS


_employment_years = (
    pl.when(pl.col("DAYS_EMPLOYED") != DAYS_NOT_APPLICABLE).then(years_ago("DAYS_EMPLOYED"))
)
_age_years = years_ago("DAYS_BIRTH")

#: The application-level feature expressions, in output order (after the id columns).
APPLICATION_EXPRESSIONS: list[pl.Expr] = [
    *(pl.col(c) for c in CATEGORICAL_KEPT),
    *(pl.col(c) for c in NUMERIC_KEPT),
    *(pl.col(c) for c in BUILDING_KEPT),
    # Durations in years (the DAYS_* columns count backwards from the application).
    _age_years.alias("AGE_YEARS"),
    _employment_years.alias("EMPLOYMENT_YEARS"),
    (pl.col("DAYS_EMPLOYED") == DAYS_NOT_APPLICABLE).cast(pl.Int8).alias("EMPLOYMENT_NOT_APPLICABLE"),
    years_ago("DAYS_REGISTRATION").alias("REGISTRATION_YEARS"),
    years_ago("DAYS_ID_PUBLISH").alias("ID_PUBLISH_YEARS"),
    years_ago("DAYS_LAST_PHONE_CHANGE").alias("PHONE_CHANGE_YEARS"),
    # Ratios an advisor can read: how heavy is the credit for this household?
    ratio(_f("AMT_CREDIT"), _f("AMT_INCOME_TOTAL")).alias("CREDIT_INCOME_RATIO"),
    ratio(_f("AMT_ANNUITY"), _f("AMT_INCOME_TOTAL")).alias("ANNUITY_INCOME_RATIO"),
    ratio(_f("AMT_ANNUITY"), _f("AMT_CREDIT")).alias("PAYMENT_RATE"),
    ratio(_f("AMT_GOODS_PRICE"), _f("AMT_CREDIT")).alias("GOODS_CREDIT_RATIO"),
    ratio(_f("AMT_INCOME_TOTAL"), _f("CNT_FAM_MEMBERS")).alias("INCOME_PER_PERSON"),
    ratio(_employment_years, _age_years).alias("EMPLOYMENT_AGE_RATIO"),
    # External scores: summaries survive a missing score better than each one alone.
    pl.mean_horizontal(*EXT_SOURCES).alias("EXT_SOURCES_MEAN"),
    pl.min_horizontal(*EXT_SOURCES).alias("EXT_SOURCES_MIN"),
    pl.max_horizontal(*EXT_SOURCES).alias("EXT_SOURCES_MAX"),
    (_f("EXT_SOURCE_1") * _f("EXT_SOURCE_2") * _f("EXT_SOURCE_3")).alias("EXT_SOURCES_PROD"),
    pl.sum_horizontal(*(pl.col(c).is_null().cast(pl.Int64) for c in EXT_SOURCES))
    .alias("EXT_SOURCES_MISSING"),
    pl.sum_horizontal(*(pl.col(c).cast(pl.Int64) for c in DOCUMENT_FLAGS))
    .fill_null(0).alias("DOCUMENT_COUNT"),
]


def application_features(applications: pl.LazyFrame) -> pl.LazyFrame:
    """SK_ID_CURR, TARGET (Int8, null when absent), SAMPLE, then the application features.

    `applications` has the application_train or application_test columns
    (TARGET optional). SAMPLE is kept when present, else "train" for rows with
    a TARGET and "new" otherwise. TARGET is only carried, never used.
    """
    names = applications.collect_schema().names()
    target = (
        pl.col("TARGET").cast(pl.Int8) if "TARGET" in names else pl.lit(None, dtype=pl.Int8).alias("TARGET")
    )
    sample = (
        pl.col("SAMPLE").cast(pl.String) if "SAMPLE" in names
        else pl.when(target.is_not_null()).then(pl.lit("train")).otherwise(pl.lit("new")).alias("SAMPLE")
    )
    return applications.select(
        pl.col("SK_ID_CURR").cast(pl.Int64), target, sample, *APPLICATION_EXPRESSIONS
    )
