"""Where the real Home Credit sample rows live (beside the checkout, never copied into it)."""

from scoring.paths import REPO_ROOT

REALDATA = REPO_ROOT.parent / "shared" / "realdata"

#: Real sample file for each table (the jointest files carry an extra index column).
REAL_SAMPLES = {
    "application_train": "jointest_application_train.csv",
    "application_test": "liagit_application_test.csv",
    "bureau": "jointest_bureau.csv",
    "bureau_balance": "jointest_bureau_balance.csv",
    "previous_application": "jointest_previous_application.csv",
    "POS_CASH_balance": "jointest_POS_CASH_balance.csv",
    "installments_payments": "jointest_installments_payments.csv",
    "credit_card_balance": "jointest_credit_card_balance.csv",
}
