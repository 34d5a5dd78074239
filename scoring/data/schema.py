"""The raw-data contract: one declaration per Home Credit table.

The loader, the validator and the synthetic generator all read these
declarations, so the three can never disagree on a column name, its order,
its type or its allowed values. Column names and order follow the public
Kaggle files exactly; they are facts about the file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Kind = Literal["int", "float", "str"]

#: Day-count columns use this value as a "not applicable" code.
DAYS_NOT_APPLICABLE = 365243


@dataclass(frozen=True)
class Column:
    """One raw column: its name, storage kind, nullability and allowed values."""

    name: str
    kind: Kind
    nullable: bool
    categories: tuple[str, ...] | None = None

    @property
    def polars_dtype(self) -> pl.DataType:
        return {"int": pl.Int64(), "float": pl.Float64(), "str": pl.String()}[self.kind]


@dataclass(frozen=True)
class ForeignKey:
    """A child column that should point at a parent table's key."""

    column: str
    parent_table: str
    parent_column: str


Severity = Literal["error", "warning"]

#: No raw number comes near this magnitude; beyond it a value is a unit or export error.
MAX_ABS = 1e12


@dataclass(frozen=True)
class Range:
    """Plausible values of some numeric columns, declared once for the validator.

    `severity` is "warning" where the real Kaggle files do hold such values
    (a few negative debts, future update dates), so real data still loads.
    `sentinel` is a code allowed outside the range (365243 = not applicable).
    """

    columns: tuple[str, ...]
    low: float | None = None
    high: float | None = None
    sentinel: int | None = None
    severity: Severity = "error"

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            text = f"between {self.low:g} and {self.high:g}"
        elif self.low is not None:
            text = f">= {self.low:g}"
        else:
            text = f"<= {self.high:g}"
        return text + (f" (or {self.sentinel})" if self.sentinel is not None else "")


@dataclass(frozen=True)
class TableSchema:
    """A raw table: exact file name, ordered columns, key and parent links."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)
    #: A header-only file is an error: nothing can be trained or scored without these rows.
    must_have_rows: bool = False
    #: Plausible values of numeric columns (see `RANGES`).
    ranges: tuple[Range, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def parquet_name(self) -> str:
        return f"{self.name}.parquet"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_dtype for c in self.columns}


APPLICATION_TRAIN_COLUMNS = (
    ('SK_ID_CURR', 'int'),
    ('TARGET', 'int'),
    ('NAME_CONTRACT_TYPE', 'str'),
    ('CODE_GENDER', 'str'),
    ('FLAG_OWN_CAR', 'str'),
    ('FLAG_OWN_REALTY', 'str'),
    ('CNT_CHILDREN', 'int'),
    ('AMT_INCOME_TOTAL', 'float'),
    ('AMT_CREDIT', 'float'),
    ('AMT_ANNUITY', 'float'),
    ('AMT_GOODS_PRICE', 'float'),
    ('NAME_TYPE_SUITE', 'str'),
    ('NAME_INCOME_TYPE', 'str'),
    ('NAME_EDUCATION_TYPE', 'str'),
    ('NAME_FAMILY_STATUS', 'str'),
    ('NAME_HOUSING_TYPE', 'str'),
    ('REGION_POPULATION_RELATIVE', 'float'),
    ('DAYS_BIRTH', 'int'),
    ('DAYS_EMPLOYED', 'int'),
    ('DAYS_REGISTRATION', 'float'),
    ('DAYS_ID_PUBLISH', 'int'),
    ('OWN_CAR_AGE', 'float'),
    ('FLAG_MOBIL', 'int'),
    ('FLAG_EMP_PHONE', 'int'),
    ('FLAG_WORK_PHONE', 'int'),
    ('FLAG_CONT_MOBILE', 'int'),
    ('FLAG_PHONE', 'int'),
    ('FLAG_EMAIL', 'int'),
    ('OCCUPATION_TYPE', 'str'),
    ('CNT_FAM_MEMBERS', 'float'),
    ('REGION_RATING_CLIENT', 'int'),
    ('REGION_RATING_CLIENT_W_CITY', 'int'),
    ('WEEKDAY_APPR_PROCESS_START', 'str'),
    ('HOUR_APPR_PROCESS_START', 'int'),
    ('REG_REGION_NOT_LIVE_REGION', 'int'),
    ('REG_REGION_NOT_WORK_REGION', 'int'),
    ('LIVE_REGION_NOT_WORK_REGION', 'int'),
    ('REG_CITY_NOT_LIVE_CITY', 'int'),
    ('REG_CITY_NOT_WORK_CITY', 'int'),
    ('LIVE_CITY_NOT_WORK_CITY', 'int'),
    ('ORGANIZATION_TYPE', 'str'),
    ('EXT_SOURCE_1', 'float'),
    ('EXT_SOURCE_2', 'float'),
    ('EXT_SOURCE_3', 'float'),
    ('APARTMENTS_AVG', 'float'),
    ('BASEMENTAREA_AVG', 'float'),
    ('YEARS_BEGINEXPLUATATION_AVG', 'float'),
    ('YEARS_BUILD_AVG', 'float'),
    ('COMMONAREA_AVG', 'float'),
    ('ELEVATORS_AVG', 'float'),
    ('ENTRANCES_AVG', 'float'),
    ('FLOORSMAX_AVG', 'float'),
    ('FLOORSMIN_AVG', 'float'),
    ('LANDAREA_AVG', 'float'),
    ('LIVINGAPARTMENTS_AVG', 'float'),
    ('LIVINGAREA_AVG', 'float'),
    ('NONLIVINGAPARTMENTS_AVG', 'float'),
    ('NONLIVINGAREA_AVG', 'float'),
    ('APARTMENTS_MODE', 'float'),
    ('BASEMENTAREA_MODE', 'float'),
    ('YEARS_BEGINEXPLUATATION_MODE', 'float'),
    ('YEARS_BUILD_MODE', 'float'),
    ('COMMONAREA_MODE', 'float'),
    ('ELEVATORS_MODE', 'float'),
    ('ENTRANCES_MODE', 'float'),
    ('FLOORSMAX_MODE', 'float'),
    ('FLOORSMIN_MODE', 'float'),
    ('LANDAREA_MODE', 'float'),
    ('LIVINGAPARTMENTS_MODE', 'float'),
    ('LIVINGAREA_MODE', 'float'),
    ('NONLIVINGAPARTMENTS_MODE', 'float'),
    ('NONLIVINGAREA_MODE', 'float'),
    ('APARTMENTS_MEDI', 'float'),
    ('BASEMENTAREA_MEDI', 'float'),
    ('YEARS_BEGINEXPLUATATION_MEDI', 'float'),
    ('YEARS_BUILD_MEDI', 'float'),
    ('COMMONAREA_MEDI', 'float'),
    ('ELEVATORS_MEDI', 'float'),
    ('ENTRANCES_MEDI', 'float'),
    ('FLOORSMAX_MEDI', 'float'),
    ('FLOORSMIN_MEDI', 'float'),
    ('LANDAREA_MEDI', 'float'),
    ('LIVINGAPARTMENTS_MEDI', 'float'),
    ('LIVINGAREA_MEDI', 'float'),
    ('NONLIVINGAPARTMENTS_MEDI', 'float'),
    ('NONLIVINGAREA_MEDI', 'float'),
    ('FONDKAPREMONT_MODE', 'str'),
    ('HOUSETYPE_MODE', 'str'),
    ('TOTALAREA_MODE', 'float'),
    ('WALLSMATERIAL_MODE', 'str'),
    ('EMERGENCYSTATE_MODE', 'str'),
    ('OBS_30_CNT_SOCIAL_CIRCLE', 'float'),
    ('DEF_30_CNT_SOCIAL_CIRCLE', 'float'),
    ('OBS_60_CNT_SOCIAL_CIRCLE', 'float'),
    ('DEF_60_CNT_SOCIAL_CIRCLE', 'float'),
    ('DAYS_LAST_PHONE_CHANGE', 'float'),
    ('FLAG_DOCUMENT_2', 'int'),
    ('FLAG_DOCUMENT_3', 'int'),
    ('FLAG_DOCUMENT_4', 'int'),
    ('FLAG_DOCUMENT_5', 'int'),
    ('FLAG_DOCUMENT_6', 'int'),
    ('FLAG_DOCUMENT_7', 'int'),
    ('FLAG_DOCUMENT_8', 'int'),
    ('FLAG_DOCUMENT_9', 'int'),
    ('FLAG_DOCUMENT_10', 'int'),
    ('FLAG_DOCUMENT_11', 'int'),
    ('FLAG_DOCUMENT_12', 'int'),
    ('FLAG_DOCUMENT_13', 'int'),
    ('FLAG_DOCUMENT_14', 'int'),
    ('FLAG_DOCUMENT_15', 'int'),
    ('FLAG_DOCUMENT_16', 'int'),
    ('FLAG_DOCUMENT_17', 'int'),
    ('FLAG_DOCUMENT_18', 'int'),
    ('FLAG_DOCUMENT_19', 'int'),
    ('FLAG_DOCUMENT_20', 'int'),
    ('FLAG_DOCUMENT_21', 'int'),
    ('AMT_REQ_CREDIT_BUREAU_HOUR', 'float'),
    ('AMT_REQ_CREDIT_BUREAU_DAY', 'float'),
    ('AMT_REQ_CREDIT_BUREAU_WEEK', 'float'),
    ('AMT_REQ_CREDIT_BUREAU_MON', 'float'),
    ('AMT_REQ_CREDIT_BUREAU_QRT', 'float'),
    ('AMT_REQ_CREDIT_BUREAU_YEAR', 'float'),
)
BUREAU_COLUMNS = (
    ('SK_ID_CURR', 'int'),
    ('SK_ID_BUREAU', 'int'),
    ('CREDIT_ACTIVE', 'str'),
    ('CREDIT_CURRENCY', 'str'),
    ('DAYS_CREDIT', 'int'),
    ('CREDIT_DAY_OVERDUE', 'int'),
    ('DAYS_CREDIT_ENDDATE', 'float'),
    ('DAYS_ENDDATE_FACT', 'float'),
    ('AMT_CREDIT_MAX_OVERDUE', 'float'),
    ('CNT_CREDIT_PROLONG', 'int'),
    ('AMT_CREDIT_SUM', 'float'),
    ('AMT_CREDIT_SUM_DEBT', 'float'),
    ('AMT_CREDIT_SUM_LIMIT', 'float'),
    ('AMT_CREDIT_SUM_OVERDUE', 'float'),
    ('CREDIT_TYPE', 'str'),
    ('DAYS_CREDIT_UPDATE', 'int'),
    ('AMT_ANNUITY', 'float'),
)
BUREAU_BALANCE_COLUMNS = (
    ('SK_ID_BUREAU', 'int'),
    ('MONTHS_BALANCE', 'int'),
    ('STATUS', 'str'),
)
PREVIOUS_APPLICATION_COLUMNS = (
    ('SK_ID_PREV', 'int'),
    ('SK_ID_CURR', 'int'),
    ('NAME_CONTRACT_TYPE', 'str'),
    ('AMT_ANNUITY', 'float'),
    ('AMT_APPLICATION', 'float'),
    ('AMT_CREDIT', 'float'),
    ('AMT_DOWN_PAYMENT', 'float'),
    ('AMT_GOODS_PRICE', 'float'),
    ('WEEKDAY_APPR_PROCESS_START', 'str'),
    ('HOUR_APPR_PROCESS_START', 'int'),
    ('FLAG_LAST_APPL_PER_CONTRACT', 'str'),
    ('NFLAG_LAST_APPL_IN_DAY', 'int'),
    ('RATE_DOWN_PAYMENT', 'float'),
    ('RATE_INTEREST_PRIMARY', 'float'),
    ('RATE_INTEREST_PRIVILEGED', 'float'),
    ('NAME_CASH_LOAN_PURPOSE', 'str'),
    ('NAME_CONTRACT_STATUS', 'str'),
    ('DAYS_DECISION', 'int'),
    ('NAME_PAYMENT_TYPE', 'str'),
    ('CODE_REJECT_REASON', 'str'),
    ('NAME_TYPE_SUITE', 'str'),
    ('NAME_CLIENT_TYPE', 'str'),
    ('NAME_GOODS_CATEGORY', 'str'),
    ('NAME_PORTFOLIO', 'str'),
    ('NAME_PRODUCT_TYPE', 'str'),
    ('CHANNEL_TYPE', 'str'),
    ('SELLERPLACE_AREA', 'int'),
    ('NAME_SELLER_INDUSTRY', 'str'),
    ('CNT_PAYMENT', 'float'),
    ('NAME_YIELD_GROUP', 'str'),
    ('PRODUCT_COMBINATION', 'str'),
    ('DAYS_FIRST_DRAWING', 'float'),
    ('DAYS_FIRST_DUE', 'float'),
    ('DAYS_LAST_DUE_1ST_VERSION', 'float'),
    ('DAYS_LAST_DUE', 'float'),
    ('DAYS_TERMINATION', 'float'),
    ('NFLAG_INSURED_ON_APPROVAL', 'float'),
)
POS_CASH_BALANCE_COLUMNS = (
    ('SK_ID_PREV', 'int'),
    ('SK_ID_CURR', 'int'),
    ('MONTHS_BALANCE', 'int'),
    ('CNT_INSTALMENT', 'float'),
    ('CNT_INSTALMENT_FUTURE', 'float'),
    ('NAME_CONTRACT_STATUS', 'str'),
    ('SK_DPD', 'int'),
    ('SK_DPD_DEF', 'int'),
)
INSTALLMENTS_PAYMENTS_COLUMNS = (
    ('SK_ID_PREV', 'int'),
    ('SK_ID_CURR', 'int'),
    ('NUM_INSTALMENT_VERSION', 'float'),
    ('NUM_INSTALMENT_NUMBER', 'int'),
    ('DAYS_INSTALMENT', 'float'),
    ('DAYS_ENTRY_PAYMENT', 'float'),
    ('AMT_INSTALMENT', 'float'),
    ('AMT_PAYMENT', 'float'),
)
CREDIT_CARD_BALANCE_COLUMNS = (
    ('SK_ID_PREV', 'int'),
    ('SK_ID_CURR', 'int'),
    ('MONTHS_BALANCE', 'int'),
    ('AMT_BALANCE', 'float'),
    ('AMT_CREDIT_LIMIT_ACTUAL', 'int'),
    ('AMT_DRAWINGS_ATM_CURRENT', 'float'),
    ('AMT_DRAWINGS_CURRENT', 'float'),
    ('AMT_DRAWINGS_OTHER_CURRENT', 'float'),
    ('AMT_DRAWINGS_POS_CURRENT', 'float'),
    ('AMT_INST_MIN_REGULARITY', 'float'),
    ('AMT_PAYMENT_CURRENT', 'float'),
    ('AMT_PAYMENT_TOTAL_CURRENT', 'float'),
    ('AMT_RECEIVABLE_PRINCIPAL', 'float'),
    ('AMT_RECIVABLE', 'float'),
    ('AMT_TOTAL_RECEIVABLE', 'float'),
    ('CNT_DRAWINGS_ATM_CURRENT', 'float'),
    ('CNT_DRAWINGS_CURRENT', 'int'),
    ('CNT_DRAWINGS_OTHER_CURRENT', 'float'),
    ('CNT_DRAWINGS_POS_CURRENT', 'float'),
    ('CNT_INSTALMENT_MATURE_CUM', 'float'),
    ('NAME_CONTRACT_STATUS', 'str'),
    ('SK_DPD', 'int'),
    ('SK_DPD_DEF', 'int'),
)

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
YES_NO = ("Y", "N")
SUITE = (
    "Unaccompanied", "Family", "Spouse, partner", "Children",
    "Other_A", "Other_B", "Group of people",
)

#: Allowed values of every categorical column, per table.
CATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "application": {
        "NAME_CONTRACT_TYPE": ("Cash loans", "Revolving loans"),
        "CODE_GENDER": ("F", "M", "XNA"),
        "FLAG_OWN_CAR": YES_NO,
        "FLAG_OWN_REALTY": YES_NO,
        "NAME_TYPE_SUITE": SUITE,
        "NAME_INCOME_TYPE": (
            "Working", "Commercial associate", "Pensioner", "State servant",
            "Unemployed", "Student", "Businessman", "Maternity leave",
        ),
        "NAME_EDUCATION_TYPE": (
            "Secondary / secondary special", "Higher education", "Incomplete higher",
            "Lower secondary", "Academic degree",
        ),
        "NAME_FAMILY_STATUS": (
            "Married", "Single / not married", "Civil marriage", "Separated", "Widow", "Unknown",
        ),
        "NAME_HOUSING_TYPE": (
            "House / apartment", "With parents", "Municipal apartment", "Rented apartment",
            "Office apartment", "Co-op apartment",
        ),
        "OCCUPATION_TYPE": (
            "Laborers", "Sales staff", "Core staff", "Managers", "Drivers",
            "High skill tech staff", "Accountants", "Medicine staff", "Security staff",
            "Cooking staff", "Cleaning staff", "Private service staff", "Low-skill Laborers",
            "Waiters/barmen staff", "Secretaries", "Realty agents", "HR staff", "IT staff",
        ),
        "WEEKDAY_APPR_PROCESS_START": WEEKDAYS,
        "ORGANIZATION_TYPE": (
            "Business Entity Type 3", "XNA", "Self-employed", "Other", "Medicine",
            "Business Entity Type 2", "Government", "School", "Trade: type 7", "Kindergarten",
            "Construction", "Business Entity Type 1", "Transport: type 4", "Trade: type 3",
            "Industry: type 9", "Industry: type 3", "Security", "Housing", "Industry: type 11",
            "Military", "Bank", "Agriculture", "Police", "Transport: type 2", "Postal",
            "Security Ministries", "Trade: type 2", "Restaurant", "Services", "University",
            "Industry: type 7", "Transport: type 3", "Industry: type 1", "Hotel", "Electricity",
            "Industry: type 4", "Trade: type 6", "Industry: type 5", "Insurance", "Telecom",
            "Emergency", "Industry: type 2", "Advertising", "Realtor", "Culture",
            "Industry: type 12", "Trade: type 1", "Mobile", "Legal Services", "Cleaning",
            "Transport: type 1", "Industry: type 6", "Industry: type 10", "Religion",
            "Industry: type 13", "Trade: type 4", "Trade: type 5", "Industry: type 8",
        ),
        "FONDKAPREMONT_MODE": (
            "reg oper account", "reg oper spec account", "not specified", "org spec account",
        ),
        "HOUSETYPE_MODE": ("block of flats", "specific housing", "terraced house"),
        "WALLSMATERIAL_MODE": (
            "Panel", "Stone, brick", "Block", "Wooden", "Mixed", "Monolithic", "Others",
        ),
        "EMERGENCYSTATE_MODE": ("No", "Yes"),
    },
    "bureau": {
        "CREDIT_ACTIVE": ("Closed", "Active", "Sold", "Bad debt"),
        "CREDIT_CURRENCY": ("currency 1", "currency 2", "currency 3", "currency 4"),
        "CREDIT_TYPE": (
            "Consumer credit", "Credit card", "Car loan", "Mortgage", "Microloan",
            "Loan for business development", "Another type of loan", "Unknown type of loan",
            "Loan for working capital replenishment", "Cash loan (non-earmarked)",
            "Real estate loan", "Loan for the purchase of equipment",
            "Loan for purchase of shares (margin lending)", "Interbank credit",
            "Mobile operator loan",
        ),
    },
    "bureau_balance": {
        "STATUS": ("C", "X", "0", "1", "2", "3", "4", "5"),
    },
    "previous_application": {
        "NAME_CONTRACT_TYPE": ("Consumer loans", "Cash loans", "Revolving loans", "XNA"),
        "WEEKDAY_APPR_PROCESS_START": WEEKDAYS,
        "FLAG_LAST_APPL_PER_CONTRACT": YES_NO,
        "NAME_CASH_LOAN_PURPOSE": (
            "XAP", "XNA", "Repairs", "Other", "Urgent needs", "Buying a used car",
            "Building a house or an annex", "Everyday expenses", "Medicine",
            "Payments on other loans", "Education", "Journey",
            "Purchase of electronic equipment", "Buying a new car", "Wedding / gift / holiday",
            "Buying a home", "Car repairs", "Furniture", "Buying a holiday home / land",
            "Business development", "Gasification / water supply", "Buying a garage", "Hobby",
            "Money for a third person", "Refusal to name the goal",
        ),
        "NAME_CONTRACT_STATUS": ("Approved", "Canceled", "Refused", "Unused offer"),
        "NAME_PAYMENT_TYPE": (
            "Cash through the bank", "XNA", "Non-cash from your account",
            "Cashless from the account of the employer",
        ),
        "CODE_REJECT_REASON": (
            "XAP", "HC", "LIMIT", "SCO", "CLIENT", "SCOFR", "XNA", "VERIF", "SYSTEM",
        ),
        "NAME_TYPE_SUITE": SUITE,
        "NAME_CLIENT_TYPE": ("Repeater", "New", "Refreshed", "XNA"),
        "NAME_GOODS_CATEGORY": (
            "XNA", "Mobile", "Consumer Electronics", "Computers", "Audio/Video", "Furniture",
            "Photo / Cinema Equipment", "Construction Materials", "Clothing and Accessories",
            "Auto Accessories", "Jewelry", "Homewares", "Medical Supplies", "Vehicles",
            "Sport and Leisure", "Gardening", "Other", "Office Appliances", "Tourism",
            "Medicine", "Direct Sales", "Fitness", "Additional Service", "Education", "Weapon",
            "Insurance", "House Construction", "Animals",
        ),
        "NAME_PORTFOLIO": ("POS", "Cash", "XNA", "Cards", "Cars"),
        "NAME_PRODUCT_TYPE": ("XNA", "x-sell", "walk-in"),
        "CHANNEL_TYPE": (
            "Credit and cash offices", "Country-wide", "Stone", "Regional / Local",
            "Contact center", "AP+ (Cash loan)", "Channel of corporate sales", "Car dealer",
        ),
        "NAME_SELLER_INDUSTRY": (
            "XNA", "Consumer electronics", "Connectivity", "Furniture", "Construction",
            "Clothing", "Industry", "Auto technology", "Jewelry", "MLM partners", "Tourism",
        ),
        "NAME_YIELD_GROUP": ("XNA", "middle", "high", "low_normal", "low_action"),
        "PRODUCT_COMBINATION": (
            "Cash", "POS household with interest", "POS mobile with interest",
            "Cash X-Sell: middle", "Cash X-Sell: low", "Card Street",
            "POS industry with interest", "POS household without interest", "Card X-Sell",
            "Cash Street: high", "Cash X-Sell: high", "Cash Street: middle", "Cash Street: low",
            "POS other with interest", "POS mobile without interest",
            "POS industry without interest", "POS others without interest",
        ),
    },
    "POS_CASH_balance": {
        "NAME_CONTRACT_STATUS": (
            "Active", "Completed", "Signed", "Demand", "Returned to the store", "Approved",
            "Amortized debt", "Canceled", "XNA",
        ),
    },
    "credit_card_balance": {
        "NAME_CONTRACT_STATUS": (
            "Active", "Completed", "Signed", "Demand", "Sent proposal", "Refused", "Approved",
        ),
    },
}

#: String columns that may be empty in the real files (all others are always filled).
NULLABLE_STRINGS: dict[str, frozenset[str]] = {
    "application": frozenset({
        "NAME_TYPE_SUITE", "OCCUPATION_TYPE", "FONDKAPREMONT_MODE", "HOUSETYPE_MODE",
        "WALLSMATERIAL_MODE", "EMERGENCYSTATE_MODE",
    }),
    "previous_application": frozenset({"NAME_TYPE_SUITE", "PRODUCT_COMBINATION"}),
    "POS_CASH_balance": frozenset({"NAME_CONTRACT_STATUS"}),
}

#: Key columns: never null, whatever their storage kind.
KEY_COLUMNS = frozenset({"SK_ID_CURR", "SK_ID_BUREAU", "SK_ID_PREV", "TARGET", "MONTHS_BALANCE"})


def _columns(table: str, spec: tuple[tuple[str, Kind], ...]) -> tuple[Column, ...]:
    """Integer columns are always filled in the real files; float columns may be empty."""
    family = "application" if table.startswith("application") else table
    cats = CATEGORIES.get(family, {})
    nullable_str = NULLABLE_STRINGS.get(family, frozenset())
    cols = []
    for name, kind in spec:
        if name in KEY_COLUMNS or kind == "int":
            nullable = False
        elif kind == "str":
            nullable = name in nullable_str
        else:
            nullable = True
        cols.append(Column(name, kind, nullable, cats.get(name) if kind == "str" else None))
    return tuple(cols)


_YEAR = 365.25
_NA = DAYS_NOT_APPLICABLE
_APP_FLAGS = tuple(n for n, k in APPLICATION_TRAIN_COLUMNS
                   if k == "int" and (n.startswith(("FLAG_", "REG_", "LIVE_")) or n == "TARGET"))

#: Plausible ranges per table family, checked by `scoring.data.integrity`. Errors
#: unless the full real files break the rule on a few rows (then a warning).
#: Day counts are relative to the application, so the past is <= 0. Columns the
#: real files routinely fill outside the natural range carry no rule (a warning
#: on every run would teach people to ignore warnings): bureau debts and limits
#: and credit-card balances, receivables and drawings (negative after refunds),
#: and the planned DAYS_CREDIT_ENDDATE / DAYS_LAST_DUE_1ST_VERSION (future dates).
RANGES: dict[str, tuple[Range, ...]] = {
    "application": (
        Range(("AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE",
               "CNT_CHILDREN", "CNT_FAM_MEMBERS", "OWN_CAR_AGE", "OBS_30_CNT_SOCIAL_CIRCLE",
               "DEF_30_CNT_SOCIAL_CIRCLE", "OBS_60_CNT_SOCIAL_CIRCLE", "DEF_60_CNT_SOCIAL_CIRCLE",
               "AMT_REQ_CREDIT_BUREAU_HOUR", "AMT_REQ_CREDIT_BUREAU_DAY", "AMT_REQ_CREDIT_BUREAU_WEEK",
               "AMT_REQ_CREDIT_BUREAU_MON", "AMT_REQ_CREDIT_BUREAU_QRT", "AMT_REQ_CREDIT_BUREAU_YEAR"),
              low=0),
        Range(("DAYS_BIRTH",), low=-100 * _YEAR, high=-18 * _YEAR),  # ages 18-100
        Range(("DAYS_EMPLOYED",), high=0, sentinel=_NA),
        Range(("DAYS_REGISTRATION", "DAYS_ID_PUBLISH", "DAYS_LAST_PHONE_CHANGE"), high=0),
        Range(("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3", "REGION_POPULATION_RELATIVE"),
              low=0, high=1),
        Range(_APP_FLAGS, low=0, high=1),
        Range(("HOUR_APPR_PROCESS_START",), low=0, high=23),
    ),
    "bureau": (
        Range(("AMT_CREDIT_SUM", "AMT_CREDIT_MAX_OVERDUE", "AMT_CREDIT_SUM_OVERDUE", "AMT_ANNUITY",
               "CREDIT_DAY_OVERDUE", "CNT_CREDIT_PROLONG"), low=0),
        Range(("DAYS_CREDIT", "DAYS_ENDDATE_FACT"), high=0),
        Range(("DAYS_CREDIT_UPDATE",), high=0, severity="warning"),  # a few future dates
    ),
    "bureau_balance": (Range(("MONTHS_BALANCE",), high=0),),
    "previous_application": (
        Range(("AMT_ANNUITY", "AMT_APPLICATION", "AMT_CREDIT", "AMT_GOODS_PRICE", "CNT_PAYMENT"), low=0),
        # a few tiny negative down payments in the real file
        Range(("AMT_DOWN_PAYMENT", "RATE_DOWN_PAYMENT"), low=0, severity="warning"),
        Range(("HOUR_APPR_PROCESS_START",), low=0, high=23),
        Range(("DAYS_DECISION",), high=0),
        Range(("DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE", "DAYS_TERMINATION"),
              high=0, sentinel=_NA),
    ),
    "POS_CASH_balance": (
        Range(("CNT_INSTALMENT", "CNT_INSTALMENT_FUTURE", "SK_DPD", "SK_DPD_DEF"), low=0),
        Range(("MONTHS_BALANCE",), high=0),
    ),
    "installments_payments": (
        Range(("NUM_INSTALMENT_VERSION", "NUM_INSTALMENT_NUMBER", "AMT_INSTALMENT", "AMT_PAYMENT"), low=0),
        Range(("DAYS_INSTALMENT", "DAYS_ENTRY_PAYMENT"), high=0),
    ),
    "credit_card_balance": (
        Range(("AMT_CREDIT_LIMIT_ACTUAL", "AMT_DRAWINGS_OTHER_CURRENT", "AMT_DRAWINGS_POS_CURRENT",
               "AMT_INST_MIN_REGULARITY", "AMT_PAYMENT_CURRENT", "AMT_PAYMENT_TOTAL_CURRENT",
               "CNT_DRAWINGS_ATM_CURRENT", "CNT_DRAWINGS_CURRENT", "CNT_DRAWINGS_OTHER_CURRENT",
               "CNT_DRAWINGS_POS_CURRENT", "CNT_INSTALMENT_MATURE_CUM", "SK_DPD", "SK_DPD_DEF"), low=0),
        Range(("MONTHS_BALANCE",), high=0),
    ),
}


def _ranges(table: str, columns: tuple[Column, ...]) -> tuple[Range, ...]:
    """The family's ranges restricted to the table's columns (application_test has no TARGET)."""
    family = "application" if table.startswith("application") else table
    names = {c.name for c in columns}
    out = []
    for rule in RANGES.get(family, ()):
        kept = tuple(c for c in rule.columns if c in names)
        if kept:
            out.append(Range(kept, rule.low, rule.high, rule.sentinel, rule.severity))
    return tuple(out)


def _table(name: str, spec: tuple[tuple[str, Kind], ...], **kwargs) -> TableSchema:
    columns = _columns(name, spec)
    return TableSchema(name, columns, ranges=_ranges(name, columns), **kwargs)


_CURR = ForeignKey("SK_ID_CURR", "application", "SK_ID_CURR")
_PREV = ForeignKey("SK_ID_PREV", "previous_application", "SK_ID_PREV")

TABLES: dict[str, TableSchema] = {
    # Training needs labelled rows; every other file may be header-only (no new
    # clients to score, or no client with that kind of history).
    "application_train": _table("application_train", APPLICATION_TRAIN_COLUMNS,
                                primary_key=("SK_ID_CURR",), must_have_rows=True),
    "application_test": _table(
        "application_test", tuple(c for c in APPLICATION_TRAIN_COLUMNS if c[0] != "TARGET"),
        primary_key=("SK_ID_CURR",)),
    "bureau": _table("bureau", BUREAU_COLUMNS, primary_key=("SK_ID_BUREAU",), foreign_keys=(_CURR,)),
    "bureau_balance": _table(
        "bureau_balance", BUREAU_BALANCE_COLUMNS, primary_key=("SK_ID_BUREAU", "MONTHS_BALANCE"),
        foreign_keys=(ForeignKey("SK_ID_BUREAU", "bureau", "SK_ID_BUREAU"),)),
    "previous_application": _table("previous_application", PREVIOUS_APPLICATION_COLUMNS,
                                   primary_key=("SK_ID_PREV",), foreign_keys=(_CURR,)),
    "POS_CASH_balance": _table("POS_CASH_balance", POS_CASH_BALANCE_COLUMNS, foreign_keys=(_PREV, _CURR)),
    "installments_payments": _table("installments_payments", INSTALLMENTS_PAYMENTS_COLUMNS,
                                    foreign_keys=(_PREV, _CURR)),
    "credit_card_balance": _table("credit_card_balance", CREDIT_CARD_BALANCE_COLUMNS,
                                  foreign_keys=(_PREV, _CURR)),
}

#: Reading order: parents before children.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

#: The two application files share one key space: a foreign key to
#: "application" means "either application_train or application_test".
APPLICATION_TABLES = ("application_train", "application_test")
#: Columns of the per-client feature table that are identifiers or labels, never features.
ID_COLUMNS = ("SK_ID_CURR", "TARGET", "SAMPLE")
